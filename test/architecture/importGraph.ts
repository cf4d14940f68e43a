/**
 * The import graph of the sources, built from the files themselves (TypeScript's own
 * pre-processor lists every import, export-from, type-only and dynamic import): nodes are
 * files relative to the repository, edges the relative imports between them. Used by the
 * architecture tests to find cycles and upward imports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(import.meta.dirname, '../..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** file → the files it imports (relative to ROOT, with forward slashes). */
export function importGraph(folders: readonly string[] = ['src', 'machines']): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of folders.flatMap((f) => filesUnder(join(ROOT, f)))) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) =>
        relative(ROOT, resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
          .split('\\')
          .join('/'),
      );
    graph.set(relative(ROOT, file).split('\\').join('/'), [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle's files, one list per strongly connected component of more than one file (or a file importing itself). */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return out;
}

/** One concrete loop through a cycle's files, `a → b → … → a`, to name in a failure. */
export function loopThrough(graph: ReadonlyMap<string, readonly string[]>, files: readonly string[]): string {
  const inCycle = new Set(files);
  const start = files[0]!;
  const path = [start];
  const seen = new Set([start]);
  for (;;) {
    const next = (graph.get(path.at(-1)!) ?? []).filter((w) => inCycle.has(w));
    const back = next.find((w) => w === start);
    if (back && path.length > 1) return [...path, start].join(' → ');
    const fresh = next.find((w) => !seen.has(w));
    if (!fresh) return [...path, start].join(' → ');
    path.push(fresh);
    seen.add(fresh);
  }
}
