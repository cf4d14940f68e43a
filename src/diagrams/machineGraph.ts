/**
 * A machine definition as plain data for the exporters (Mermaid, DOT, history paths): every
 * state node in document order and every transition, walked with xstate/graph's
 * `toDirectedGraph` plus the eventless (`always`) transitions it leaves out. Guards become
 * their names; a targetless transition is a self-loop marked `targetless`. Pure, no I/O.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';

export interface GraphState {
  /** Full id, e.g. `smtpSession.open.greeted`. */
  readonly id: string;
  /** The state's own name, as histories print it (`greeted`). */
  readonly key: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly parent: string | undefined;
  /** Id of the initial child (compound states). */
  readonly initial: string | undefined;
  readonly children: readonly string[];
}

export interface GraphTransition {
  readonly source: string;
  readonly target: string;
  /** The event type, or `null` for an eventless (`always`) transition. */
  readonly event: string | null;
  readonly guard: string | undefined;
  /** No target: the state stays and only actions run (drawn as a self-loop). */
  readonly targetless: boolean;
}

export interface MachineGraph {
  readonly id: string;
  /** Every state but the root, parents before their children. */
  readonly states: readonly GraphState[];
  readonly root: GraphState;
  readonly transitions: readonly GraphTransition[];
}

/** A guard as a label: its name (`{ type }` objects and named functions included). */
export function guardName(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'inline';
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'inline';
}

/** The label of a transition: `Event`, `Event [guard]`, `always`, `always [guard]`. */
export function transitionLabel(t: GraphTransition): string {
  const name = t.event ?? 'always';
  return t.guard ? `${name} [${t.guard}]` : name;
}

function stateOf(node: AnyStateNode): GraphState {
  const initialTarget = node.type === 'compound' ? (node.initial?.target?.[0] as AnyStateNode | undefined) : undefined;
  return {
    id: node.id,
    key: node.key,
    type: node.type,
    parent: node.parent?.id,
    initial: initialTarget?.id,
    children: Object.values(node.states as Record<string, AnyStateNode>).map((c) => c.id),
  };
}

function transitionsOf(
  node: AnyStateNode,
  source: string,
  defs: readonly AnyTransitionDefinition[],
  event: string | null,
): GraphTransition[] {
  const out: GraphTransition[] = [];
  for (const def of defs) {
    const targets = (def.target ?? []) as readonly AnyStateNode[];
    const guard = guardName(def.guard);
    if (targets.length === 0) out.push({ source, target: node.id, event, guard, targetless: true });
    for (const t of targets) out.push({ source, target: t.id, event, guard, targetless: false });
  }
  return out;
}

/** The machine's states and transitions, in definition order. */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const states: GraphState[] = [];
  const transitions: GraphTransition[] = [];
  const visit = (g: DirectedGraphNode, isRoot: boolean): void => {
    const node = g.stateNode;
    if (!isRoot) states.push(stateOf(node));
    const seen = new Set<AnyTransitionDefinition>();
    for (const edge of g.edges) {
      // toDirectedGraph gives one edge per target; rebuild per transition to keep `targetless`.
      if (seen.has(edge.transition)) continue;
      seen.add(edge.transition);
      transitions.push(...transitionsOf(node, node.id, [edge.transition], edge.transition.eventType));
    }
    transitions.push(...transitionsOf(node, node.id, (node.always ?? []) as AnyTransitionDefinition[], null));
    for (const child of g.children) visit(child, false);
  };
  const graph = toDirectedGraph(machine);
  visit(graph, true);
  return { id: machine.id, states, root: stateOf(graph.stateNode), transitions };
}

/** The state a history names (`greeted`): the first atomic or final state with that key. */
export function stateByName(graph: MachineGraph, name: string): GraphState | undefined {
  return (
    graph.states.find((s) => s.key === name && (s.type === 'atomic' || s.type === 'final')) ??
    graph.states.find((s) => s.key === name)
  );
}

/** States and transitions nested in `parentId` (the root when undefined), for block writers. */
export function childrenOf(graph: MachineGraph, parentId: string): GraphState[] {
  return graph.states.filter((s) => s.parent === parentId);
}
