/**
 * A machine as a Graphviz DOT digraph, written from its MachineGraph: nested states as
 * `cluster_` subgraphs whose start point (●) also anchors the transitions of the compound state
 * itself (`compound=true`, `ltail`/`lhead` clip them at the cluster's border), final states
 * with a double border, labels `Event [guard]` / `always [guard]` (eventless ones dashed).
 * A compound state's transition to one of its own children is drawn from its initial child
 * (`open`'s ClientGreeted from `connected`), not from the start point. A state's self-loops
 * are drawn as ONE loop whose label lists them a line each: Graphviz nests several loops on a
 * node and draws each loop over the labels of the inner ones.
 * With a PathHighlight: visited states filled, taken transitions coloured, with step numbers.
 */
import { type GraphState, type MachineGraph, childrenOf, transitionLabel } from './machineGraph.js';
import type { PathHighlight } from './historyPath.js';

const PATH_COLOR = '#2e7d32';
const LOOP_MARGIN = '\u00a0\u00a0\u00a0';

/** A DOT double-quoted string. */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const startPoint = (stateId: string): string => `${stateId}.__start`;

/** A value written as it stands (a label with `\\l` line ends, already quoted). */
interface RawValue {
  readonly raw: string;
}

function attrs(list: Record<string, string | number | RawValue | undefined>): string {
  const parts = Object.entries(list)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? v : typeof v === 'object' ? v.raw : dotString(v!)}`);
  return parts.length > 0 ? ` [${parts.join(', ')}]` : '';
}

/** Lines of a label, each left-justified (`\l`). */
function leftLines(lines: readonly string[]): RawValue {
  return { raw: `"${lines.map((l) => dotString(l).slice(1, -1)).join('\\l')}\\l"` };
}

/** The atomic state a compound state starts in (its initial child, followed down). */
function initialLeaf(graph: MachineGraph, stateId: string): string {
  let id = stateId;
  for (let s = graph.states.find((x) => x.id === id); s?.initial; s = graph.states.find((x) => x.id === id))
    id = s.initial;
  return id;
}

function isInside(graph: MachineGraph, stateId: string, ancestorId: string): boolean {
  for (let s = graph.states.find((x) => x.id === stateId); s; s = graph.states.find((x) => x.id === s?.parent))
    if (s.parent === ancestorId) return true;
  return false;
}

function nodeLine(state: GraphState, highlight: PathHighlight | undefined): string {
  const steps = highlight?.stateSteps.get(state.id);
  const label = steps ? `${state.key}\n#${steps.join(', #')}` : state.key;
  const visited = highlight?.visited.has(state.id) ?? false;
  const passed = highlight?.passed.has(state.id) ?? false;
  return `${dotString(state.id)}${attrs({
    label,
    peripheries: state.type === 'final' ? 2 : undefined,
    style: visited || passed ? `rounded,filled${passed ? ',dashed' : ''}` : undefined,
    fillcolor: visited ? '#c8e6c9' : passed ? '#f1f8e9' : undefined,
    color: visited || passed ? PATH_COLOR : undefined,
    penwidth: visited ? 2 : undefined,
  })};`;
}

function writeStates(
  graph: MachineGraph,
  parent: GraphState,
  indent: string,
  out: string[],
  highlight: PathHighlight | undefined,
): void {
  if (parent.initial) {
    out.push(`${indent}${dotString(startPoint(parent.id))} [shape=point, width=0.15, label=""];`);
    out.push(`${indent}${dotString(startPoint(parent.id))} -> ${dotString(parent.initial)};`);
  }
  for (const child of childrenOf(graph, parent.id)) {
    if (child.type === 'compound' || child.type === 'parallel') {
      out.push(`${indent}subgraph ${dotString(`cluster_${child.id}`)} {`);
      out.push(`${indent}  label=${dotString(child.key)}; style=rounded;`);
      if (
        highlight?.stateSteps.has(child.id) ||
        [...(highlight?.visited ?? [])].some((v) => isInside(graph, v, child.id))
      ) {
        out.push(`${indent}  color=${dotString(PATH_COLOR)}; penwidth=2;`);
      }
      writeStates(graph, child, `${indent}  `, out, highlight);
      out.push(`${indent}}`);
    } else {
      out.push(`${indent}${nodeLine(child, highlight)}`);
    }
  }
}

export interface DotOptions {
  /** A title under the graph (e.g. the history's stream). */
  readonly title?: string;
}

/** The DOT text (newline-terminated) of a machine, optionally with a history's path. */
export function toDot(graph: MachineGraph, highlight?: PathHighlight, options: DotOptions = {}): string {
  const compound = new Set(graph.states.filter((s) => s.type === 'compound' || s.type === 'parallel').map((s) => s.id));
  const out = [`digraph ${dotString(graph.id)} {`];
  out.push(
    `  graph${attrs({ compound: 'true', fontname: 'Helvetica', label: options.title, labelloc: options.title ? 't' : undefined })};`,
  );
  out.push('  node [shape=box, style=rounded, fontname="Helvetica"];');
  out.push('  edge [fontname="Helvetica", fontsize=10];');
  writeStates(graph, graph.root, '  ', out, highlight);
  const loops = new Map<string, { lines: string[]; taken: boolean; eventless: boolean }>();
  graph.transitions.forEach((t, index) => {
    const fromCompound = compound.has(t.source);
    const toCompound = compound.has(t.target);
    const intoItself = fromCompound && isInside(graph, t.target, t.source);
    const tail = intoItself ? initialLeaf(graph, t.source) : fromCompound ? startPoint(t.source) : t.source;
    const head = toCompound ? startPoint(t.target) : t.target;
    const steps = highlight?.edgeSteps.get(index);
    const label = steps ? `${steps.join(', ')}: ${transitionLabel(t)}` : transitionLabel(t);
    if (tail === head && !fromCompound) {
      const loop = loops.get(tail) ?? { lines: [], taken: false, eventless: true };
      loop.lines.push(label);
      loop.taken ||= steps !== undefined;
      loop.eventless &&= t.event === null;
      loops.set(tail, loop);
      return;
    }
    out.push(
      `  ${dotString(tail)} -> ${dotString(head)}${attrs({
        label,
        ltail: fromCompound && !intoItself ? `cluster_${t.source}` : undefined,
        lhead:
          toCompound && !isInside(graph, t.source, t.target) && t.source !== t.target
            ? `cluster_${t.target}`
            : undefined,
        style: t.event === null ? 'dashed' : undefined,
        color: steps ? PATH_COLOR : undefined,
        fontcolor: steps ? PATH_COLOR : undefined,
        penwidth: steps ? 2.5 : undefined,
      })};`,
    );
  });
  for (const [node, loop] of loops) {
    // Graphviz puts a loop's label against the loop: a margin of no-break spaces keeps the
    // arrowhead off the text (SVG would collapse plain spaces).
    const padded = loop.lines.map((l) => `${LOOP_MARGIN}${l}`);
    out.push(
      `  ${dotString(node)} -> ${dotString(node)}${attrs({
        label: padded.length === 1 ? padded[0] : leftLines(padded),
        style: loop.eventless ? 'dashed' : undefined,
        color: loop.taken ? PATH_COLOR : undefined,
        fontcolor: loop.taken ? PATH_COLOR : undefined,
        penwidth: loop.taken ? 2.5 : undefined,
      })};`,
    );
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
