/**
 * XState's pure transition without its per-call cost: `transition(machine, snapshot, event)`
 * builds a throwaway actor (and actor system) on every call to serve as an inert scope, which
 * made a fold cost about a millisecond per event. Here each machine gets one inert scope, kept
 * for its lifetime, whose action executor drops every action (replay runs none); the step is
 * the machine's own `transition`. Only for machines without children (ours spawn none).
 */
import { type AnyStateMachine, type SnapshotFrom, createActor } from 'xstate';

type Scope = Parameters<AnyStateMachine['transition']>[2];

const scopes = new WeakMap<AnyStateMachine, Scope>();

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
      actionExecutor: () => {},
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
