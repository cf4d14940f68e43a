/**
 * Given/when/then for machines (Emmett style): `given(machine, ...events).when(event)`
 * folds the history with the pure transition and returns what a test asserts on: the state
 * reached and the context, or the InvariantError when the state refuses the event.
 */
import type { AnyStateMachine, ContextFrom } from 'xstate';
import { applyEvent, initialSnapshot } from '../../src/replay/replay.js';
import type { MachineEventObject } from '../../src/replay/eventShape.js';
import { stateName } from '../../src/replay/stateName.js';

export interface Outcome<C> {
  readonly state: string;
  readonly context: C;
  readonly status: string;
}

export function given<M extends AnyStateMachine>(machine: M, ...history: MachineEventObject[]) {
  let snapshot = initialSnapshot(machine);
  history.forEach((e, i) => {
    snapshot = applyEvent(machine, snapshot, e, `given@${i}`);
  });
  const outcome = (s: typeof snapshot) => {
    const snap = s as unknown as { value: never; context: never; status: string };
    return { state: stateName(snap.value), context: snap.context, status: snap.status };
  };
  return {
    /** The state after the history alone. */
    // biome-ignore lint/suspicious/noThenProperty: Given/When/Then reads as a sentence; this object is never awaited.
    then: () => outcome(snapshot) as Outcome<ContextFrom<M>>,
    when(...events: MachineEventObject[]) {
      let s = snapshot;
      events.forEach((e, i) => {
        s = applyEvent(machine, s, e, `when@${i}`);
      });
      return outcome(s) as Outcome<ContextFrom<M>>;
    },
  };
}
