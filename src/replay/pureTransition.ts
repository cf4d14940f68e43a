/**
 * XState's pure transition without its per-call cost: `transition(machine, snapshot, event)`
 * builds a throwaway actor (and actor system) on every call to serve as an inert scope, which
 * made a fold cost about a millisecond per event. Here each machine gets one inert scope, kept
 * for its lifetime, whose action executor drops every action (replay runs none) or, in
 * collectingTransition, hands them back; the step is the machine's own `transition`. Only for
 * machines without children, delays or raised events (ours have none).
 */
import { type AnyStateMachine, type SnapshotFrom, createActor } from 'xstate';

type Scope = Parameters<AnyStateMachine['transition']>[2];

const scopes = new WeakMap<AnyStateMachine, Scope>();

/** The action an XState step hands its executor: run it with `exec(info, params)` (absent: a no-op). */
export interface StepAction {
  readonly type: string;
  readonly info: unknown;
  readonly params: unknown;
  readonly exec: ((info: never, params: never) => void) | undefined;
}

/** Where the inert scope's executor puts actions during collectingTransition (undefined: dropped). */
let collector: StepAction[] | undefined;

function scopeFor(machine: AnyStateMachine): Scope {
  let scope = scopes.get(machine);
  if (!scope) {
    const self = createActor(machine);
    scope = {
      self,
      defer: () => {},
      id: '',
      logger: () => {},
      sessionId: '',
      stopChild: () => {},
      system: self.system,
      emit: () => {},
      actionExecutor: (action: StepAction) => collector?.push(action),
    } as unknown as Scope;
    scopes.set(machine, scope);
  }
  return scope;
}

export function pureTransition<M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  event: unknown,
): SnapshotFrom<M> {
  return machine.transition(snapshot as never, event as never, scopeFor(machine)) as SnapshotFrom<M>;
}

/**
 * The same step, with the actions XState would have executed, in order, pushed onto `actions`
 * instead (the event-sourced actor runs them once the event is durable: no live actor needed).
 */
export function collectingTransition<M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  event: unknown,
  actions: StepAction[],
): SnapshotFrom<M> {
  collector = actions;
  try {
    return pureTransition(machine, snapshot, event);
  } finally {
    collector = undefined;
  }
}
