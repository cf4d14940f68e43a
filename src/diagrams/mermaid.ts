/**
 * A machine as a Mermaid `stateDiagram-v2`, written from its MachineGraph: nested states as
 * `state open { … }` blocks with their own `[*]` start, final states as `x --> [*]`, each
 * transition labelled `Event [guard]` or `always [guard]` and written in the block of the
 * nearest state enclosing both ends. With a PathHighlight (history --diagram): visited states
 * get `class … visited`, taken transitions their step numbers, and a note lists the path.
 */
import {
  type GraphState,
  type GraphTransition,
  type MachineGraph,
  childrenOf,
  transitionLabel,
} from './machineGraph.js';
import type { PathHighlight } from './historyPath.js';

/** A Mermaid-safe id for a state: its path below the root, `-` and `.` as `_`. */
export function mermaidId(graph: MachineGraph, stateId: string): string {
  return stateId.slice(graph.id.length + 1).replace(/[^A-Za-z0-9_]/g, '_');
}

/** Proper ancestors of a state, nearest first, ending with the root. */
function ancestors(graph: MachineGraph, stateId: string): string[] {
  const out: string[] = [];
  let parent = graph.states.find((s) => s.id === stateId)?.parent;
  while (parent !== undefined) {
    out.push(parent);
    parent = parent === graph.id ? undefined : graph.states.find((s) => s.id === parent)?.parent;
  }
  return out;
}

/** The block a transition is written in: the nearest state that encloses both ends. */
export function enclosingBlock(graph: MachineGraph, t: GraphTransition): string {
  const ofTarget = new Set(ancestors(graph, t.target));
  return ancestors(graph, t.source).find((a) => ofTarget.has(a)) ?? graph.id;
}

export function stepSuffix(steps: readonly number[] | undefined): string {
  if (!steps || steps.length === 0) return '';
  return ` (${steps.length === 1 ? 'step' : 'steps'} ${steps.join(', ')})`;
}

function writeBlock(
  graph: MachineGraph,
  parent: GraphState,
  indent: string,
  out: string[],
  highlight: PathHighlight | undefined,
): void {
  const id = (s: string): string => mermaidId(graph, s);
  const children = childrenOf(graph, parent.id);
  for (const child of children) {
    const mid = id(child.id);
    const named = mid === child.key ? mid : `"${child.key}" as ${mid}`;
    if (child.type === 'compound' || child.type === 'parallel') {
      out.push(`${indent}state ${named} {`);
      writeBlock(graph, child, `${indent}  `, out, highlight);
      out.push(`${indent}}`);
    } else if (mid !== child.key) {
      out.push(`${indent}state ${named}`);
    }
  }
  if (parent.initial) out.push(`${indent}[*] --> ${id(parent.initial)}`);
  graph.transitions.forEach((t, index) => {
    if (enclosingBlock(graph, t) !== parent.id) return;
    out.push(
      `${indent}${id(t.source)} --> ${id(t.target)}: ${transitionLabel(t)}${stepSuffix(highlight?.edgeSteps.get(index))}`,
    );
  });
  for (const child of children) if (child.type === 'final') out.push(`${indent}${id(child.id)} --> [*]`);
  const noteOn = highlight?.steps.at(-1)?.to;
  if (highlight && noteOn && children.some((c) => c.id === noteOn)) {
    out.push(`${indent}note right of ${id(noteOn)}`);
    for (const step of highlight.steps)
      out.push(`${indent}  ${step.n}. ${step.event} → ${graph.states.find((s) => s.id === step.to)?.key ?? step.to}`);
    out.push(`${indent}end note`);
  }
}

/** The Mermaid text (newline-terminated) of a machine, optionally with a history's path. */
export function toMermaid(graph: MachineGraph, highlight?: PathHighlight): string {
  const out = ['stateDiagram-v2'];
  writeBlock(graph, graph.root, '  ', out, highlight);
  if (highlight) {
    out.push('  classDef visited fill:#c8e6c9,stroke:#2e7d32,stroke-width:3px');
    out.push('  classDef passed fill:#f1f8e9,stroke:#2e7d32,stroke-dasharray:4 3');
    if (highlight.visited.size > 0)
      out.push(`  class ${[...highlight.visited].map((s) => mermaidId(graph, s)).join(',')} visited`);
    if (highlight.passed.size > 0)
      out.push(`  class ${[...highlight.passed].map((s) => mermaidId(graph, s)).join(',')} passed`);
  }
  return `${out.join('\n')}\n`;
}
