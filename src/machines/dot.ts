/**
 * A machine as a Graphviz DOT digraph, written from its MachineGraph: nested states as
 * `cluster_` subgraphs whose start point (●) also anchors the transitions of the compound state
 * itself (`compound=true`, `ltail`/`lhead` clip them at the cluster's border), final states
 * with a double border, labels `Event [guard]` / `always [guard]` (eventless ones dashed).
 * With a PathHighlight: visited states filled, taken transitions coloured, with step numbers.
 */
import { type GraphState, type MachineGraph, childrenOf, transitionLabel } from './machineGraph.js';
import type { PathHighlight } from './historyPath.js';

const PATH_COLOR = '#2e7d32';

/** A DOT double-quoted string. */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const startPoint = (stateId: string): string => `${stateId}.__start`;

function attrs(list: Record<string, string | number | undefined>): string {
  const parts = Object.entries(list).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${typeof v === 'number' ? v : dotString(v!)}`);
  return parts.length > 0 ? ` [${parts.join(', ')}]` : '';
}

function isInside(graph: MachineGraph, stateId: string, ancestorId: string): boolean {
  for (let s = graph.states.find((x) => x.id === stateId); s; s = graph.states.find((x) => x.id === s?.parent)) if (s.parent === ancestorId) return true;
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

function writeStates(graph: MachineGraph, parent: GraphState, indent: string, out: string[], highlight: PathHighlight | undefined): void {
  if (parent.initial) {
    out.push(`${indent}${dotString(startPoint(parent.id))} [shape=point, width=0.15, label=""];`);
    out.push(`${indent}${dotString(startPoint(parent.id))} -> ${dotString(parent.initial)};`);
  }
  for (const child of childrenOf(graph, parent.id)) {
    if (child.type === 'compound' || child.type === 'parallel') {
      out.push(`${indent}subgraph ${dotString(`cluster_${child.id}`)} {`);
      out.push(`${indent}  label=${dotString(child.key)}; style=rounded;`);
      if (highlight?.stateSteps.has(child.id) || [...(highlight?.visited ?? [])].some((v) => isInside(graph, v, child.id))) {
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
  out.push(`  graph${attrs({ compound: 'true', fontname: 'Helvetica', label: options.title, labelloc: options.title ? 't' : undefined })};`);
  out.push('  node [shape=box, style=rounded, fontname="Helvetica"];');
  out.push('  edge [fontname="Helvetica", fontsize=10];');
  writeStates(graph, graph.root, '  ', out, highlight);
  graph.transitions.forEach((t, index) => {
    const fromCompound = compound.has(t.source);
    const toCompound = compound.has(t.target);
    const tail = fromCompound ? startPoint(t.source) : t.source;
    const head = toCompound ? startPoint(t.target) : t.target;
    const steps = highlight?.edgeSteps.get(index);
    const label = transitionLabel(t);
    out.push(`  ${dotString(tail)} -> ${dotString(head)}${attrs({
      label: steps ? `${steps.join(', ')}: ${label}` : label,
      ltail: fromCompound && !isInside(graph, t.target, t.source) ? `cluster_${t.source}` : undefined,
      lhead: toCompound && !isInside(graph, t.source, t.target) && t.source !== t.target ? `cluster_${t.target}` : undefined,
      style: t.event === null ? 'dashed' : undefined,
      color: steps ? PATH_COLOR : undefined,
      fontcolor: steps ? PATH_COLOR : undefined,
      penwidth: steps ? 2.5 : undefined,
    })};`);
  });
  out.push('}');
  return `${out.join('\n')}\n`;
}
