/**
 * Replays a stored history into a real XState actor that reports to an inspector: the message
 * or smtpSession machine with every side-effect action provided as a no-op (never the
 * runtime's: nothing is delivered, timed or written), fed the upcast stored events one by one
 * with `stepMs` between them. An event the machine refuses, or a state that differs from the
 * one recorded, is an InvariantError naming the stream and revision, as in src/replay.
 */
import { type AnyStateMachine, type InspectionEvent, createActor } from 'xstate';
import { messageMachine } from '../../machines/message.machine.js';
import { smtpSessionMachine } from '../../machines/smtpSession.machine.js';
import type { EventLog, RecordedEvent } from '../eventlog/eventLog.js';
import { InvariantError } from '../errors/mailtrailError.js';
import { EventNotAcceptedError } from '../replay/eventNotAcceptedError.js';
import { machineEventOf } from '../replay/replay.js';
import { stateName } from '../replay/stateName.js';
import { parseHistoryName } from '../replay/historyName.js';
import { historyStream } from '../mail/streamNames.js';

const noop = (): void => {};

/** The message machine as replay runs it: its assign actions, none of the runtime's effects. */
export const replayMessageMachine = messageMachine.provide({
  actions: {
    runPolicies: noop,
    startAttempt: noop,
    deliver: noop,
    scheduleRetry: noop,
    cancelRetry: noop,
    enqueueChildren: noop,
    finalize: noop,
  },
});
export const replaySessionMachine = smtpSessionMachine.provide({ actions: { sessionEnded: noop } });

export interface StoredHistory {
  readonly kind: 'message' | 'session';
  readonly stream: string;
  readonly events: readonly RecordedEvent[];
}

/** `message-<id>` or else `session-<id>` (or the one a prefixed name says); undefined when no stream has events. */
export async function loadStoredHistory(log: EventLog, name: string): Promise<StoredHistory | undefined> {
  const { kinds, id } = parseHistoryName(name);
  for (const kind of kinds) {
    const stream = historyStream(kind, id);
    const events: RecordedEvent[] = [];
    for await (const e of log.readStream(stream)) events.push(e);
    if (events.length) return { kind, stream, events };
  }
  return undefined;
}

export interface ReplayStep {
  readonly index: number;
  readonly recorded: RecordedEvent;
  readonly state: string;
}

export interface ReplayIntoOptions {
  readonly inspect: (event: InspectionEvent) => void;
  /** Milliseconds between events; 0 = all at once. */
  readonly stepMs: number;
  readonly onStep?: (step: ReplayStep) => void;
  /** Stops the replay between steps when aborted. */
  readonly signal?: AbortSignal;
}

const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** Feed the history to a fresh actor named `<stream> (replay)`; resolves with the state reached. */
export async function replayInto(history: StoredHistory, options: ReplayIntoOptions): Promise<string> {
  const machine: AnyStateMachine = history.kind === 'message' ? replayMessageMachine : replaySessionMachine;
  const actor = createActor(machine, { id: `${history.stream} (replay)`, inspect: options.inspect });
  actor.start();
  const state = () => stateName(actor.getSnapshot().value as never);
  for (const [index, recorded] of history.events.entries()) {
    if (options.signal?.aborted) break;
    if (options.stepMs > 0) await pause(options.stepMs, options.signal);
    if (options.signal?.aborted) break;
    const where = `${history.stream}@${recorded.revision}`;
    const event = machineEventOf(recorded);
    const snapshot = actor.getSnapshot();
    if (snapshot.status !== 'active' || !snapshot.can(event))
      throw new EventNotAcceptedError(where, event.type, state());
    actor.send(event);
    const reached = state();
    const stored = recorded.metadata.state;
    if (typeof stored === 'string' && stored !== reached)
      throw new InvariantError(`${where}: ${recorded.type} reached state ${reached}, but the log recorded ${stored}`);
    options.onStep?.({ index, recorded, state: reached });
  }
  return state();
}
