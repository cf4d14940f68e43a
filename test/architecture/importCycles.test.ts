/**
 * The shape of the sources, checked from the sources: no import cycle among the files of src/
 * and machines/ (type-only and dynamic imports count), and every import goes to the same or a
 * lower layer. The layers, lowest first: the pure machines; the mail kernel with errors and
 * logging; the log, spool, relays, policies, replay, runtime, read models and diagram export; the queue (with its bounce
 * sender and the sqlite storage that bundles log, spool and recovery); the edge and the other
 * daemon-side servers (control, metrics, inspector); the configuration, which reads the
 * components' defaults; the daemon; the CLI. A failure names the files.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cyclesOf, importGraph, loopThrough } from './importGraph.js';

/** Folder (under src/, or machines/ for the pure machines) → layer, lowest first. */
const LAYERS: readonly (readonly string[])[] = [
  ['machines/'],
  ['src/mail/', 'src/errors/', 'src/logging/', 'src/packageInfo.ts'],
  [
    'src/eventlog/',
    'src/spool/',
    'src/relay/',
    'src/policies/',
    'src/replay/',
    'src/runtime/',
    'src/readmodel/',
    'src/diagrams/',
  ],
  ['src/queue/', 'src/bounce/', 'src/storage/'],
  ['src/edge/', 'src/control/', 'src/metrics/', 'src/inspect/'],
  ['src/config/'],
  ['src/daemon/'],
  ['src/cli/'],
  ['src/index.ts'],
];

function layerOf(file: string): number {
  const layer = LAYERS.findIndex((folders) => folders.some((f) => (f.endsWith('/') ? file.startsWith(f) : file === f)));
  if (layer < 0)
    throw new Error(`${file} is in no layer: add its folder to LAYERS in test/architecture/importCycles.test.ts`);
  return layer;
}

const graph = importGraph();

describe('the import graph of src/ and machines/', () => {
  it('is read from the sources (a known edge is there)', () => {
    assert.ok(graph.get('src/queue/queue.ts')?.includes('machines/message.machine.ts'));
  });

  it('has no cycle', () => {
    const loops = cyclesOf(graph).map((files) => loopThrough(graph, files));
    assert.deepEqual(loops, [], `import cycles:\n${loops.join('\n')}`);
  });

  it('imports only downward (or within a layer)', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        if (layerOf(target) > layerOf(file)) upward.push(`${file} → ${target}`);
      }
    }
    assert.deepEqual(upward, [], `imports from a higher layer:\n${upward.join('\n')}`);
  });
});

describe('the cycle finder', () => {
  it('names the files of a cycle', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(cyclesOf(g), [['a', 'b', 'c']]);
    assert.equal(loopThrough(g, ['a', 'b', 'c']), 'a → b → c → a');
  });
});
