/**
 * The path one history took through its machine's graph, for `history <id> --diagram`.
 * Input: the entries' event types and recorded states (`metadata.state`, leaf names). For each
 * step it finds the transition for that event from the current state (or an ancestor), then
 * any `always` transitions through transient states (`settling`) to the recorded state.
 * A step the graph cannot explain (an unknown state) marks its state and no transition.
 */
import { type GraphTransition, type MachineGraph, stateByName } from './machineGraph.js';

export interface PathStep {
  /** 1-based position in the history. */
  readonly n: number;
  readonly event: string;
  /** State ids before and after the event. */
  readonly from: string;
  readonly to: string;
  /** Indexes into graph.transitions, in the order taken. */
  readonly transitions: readonly number[];
}

export interface PathHighlight {
  readonly steps: readonly PathStep[];
  /** The states the history records (metadata.state), as state ids. */
  readonly visited: ReadonlySet<string>;
  /** Transient states passed through by `always` transitions and never recorded. */
  readonly passed: ReadonlySet<string>;
  /** Transition index → the steps that took it. */
  readonly edgeSteps: ReadonlyMap<number, readonly number[]>;
  /** State id → the steps that ended in it. */
  readonly stateSteps: ReadonlyMap<string, readonly number[]>;
}

export interface PathEntry {
  readonly type: string;
  readonly state: string;
}

/** The state itself and its ancestors (nearest first), below the root. */
function selfAndAncestors(graph: MachineGraph, stateId: string): string[] {
  const out: string[] = [];
  for (let s = graph.states.find((x) => x.id === stateId); s; s = graph.states.find((x) => x.id === s?.parent))
    out.push(s.id);
  return out;
}

/** The leaf a transition enters: its target, then initial children down to an atomic state. */
function enteredLeaf(graph: MachineGraph, t: GraphTransition, current: string): string {
  if (t.targetless) return current;
  let id = t.target;
  for (let s = graph.states.find((x) => x.id === id); s?.initial; s = graph.states.find((x) => x.id === id))
    id = s.initial;
  return id;
}

function outgoing(graph: MachineGraph, stateId: string, event: string | null): number[] {
  const sources = selfAndAncestors(graph, stateId);
  const found: number[] = [];
  for (const source of sources)
    graph.transitions.forEach((t, i) => {
      if (t.source === source && t.event === event) found.push(i);
    });
  return found;
}

/** Transitions from `from` on `event`, then `always` ones, reaching `to`; undefined if none does. */
function explain(graph: MachineGraph, from: string, event: string, to: string): number[] | undefined {
  for (const first of outgoing(graph, from, event)) {
    // Breadth-first over eventless transitions, shortest chain first.
    const queue: { at: string; taken: number[] }[] = [
      { at: enteredLeaf(graph, graph.transitions[first]!, from), taken: [first] },
    ];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const { at, taken } = queue.shift()!;
      if (at === to) return taken;
      if (seen.has(at)) continue;
      seen.add(at);
      for (const i of outgoing(graph, at, null))
        queue.push({ at: enteredLeaf(graph, graph.transitions[i]!, at), taken: [...taken, i] });
    }
  }
  return undefined;
}

function push<K>(map: Map<K, number[]>, key: K, n: number): void {
  const list = map.get(key) ?? [];
  if (!list.includes(n)) list.push(n);
  map.set(key, list);
}

/** The path of a history through `graph`, starting from the machine's initial state. */
export function historyPath(graph: MachineGraph, entries: readonly PathEntry[]): PathHighlight {
  const start: GraphTransition = {
    source: graph.id,
    target: graph.root.initial ?? graph.id,
    event: null,
    guard: undefined,
    targetless: false,
  };
  let current = enteredLeaf(graph, start, graph.id);
  const steps: PathStep[] = [];
  const visited = new Set<string>();
  const passed = new Set<string>();
  const edgeSteps = new Map<number, number[]>();
  const stateSteps = new Map<string, number[]>();
  entries.forEach((entry, i) => {
    const n = i + 1;
    const to = stateByName(graph, entry.state)?.id;
    if (to === undefined) return;
    const taken = explain(graph, current, entry.type, to) ?? [];
    for (const index of taken) {
      push(edgeSteps, index, n);
      const t = graph.transitions[index]!;
      if (t.event === null && t.source !== to && t.source !== current) passed.add(t.source);
    }
    steps.push({ n, event: entry.type, from: current, to, transitions: taken });
    visited.add(to);
    push(stateSteps, to, n);
    current = to;
  });
  for (const s of visited) passed.delete(s);
  return { steps, visited, passed, edgeSteps, stateSteps };
}
