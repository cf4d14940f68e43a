/**
 * Replay: fold a stored history through a machine's pure transition function. No action
 * runs (XState's `initialTransition`/`transition` return actions without executing them).
 * An event the current state does not accept, or a stored state that differs from the one
 * reached, is an InvariantError naming stream, revision and state: replay never drifts.
 */
import { type AnyStateMachine, type SnapshotFrom, initialTransition } from 'xstate';
import type { EventLog, JsonObject, RecordedEvent } from '../eventlog/eventLog.js';
import { InvariantError } from '../errors/mailtrailError.js';
import { EventNotAcceptedError } from './eventNotAcceptedError.js';
import { NewerMachineVersionError } from './machineVersionError.js';
import { type MachineEventObject, toMachineEvent } from './eventShape.js';
import { type StepAction, collectingTransition, pureTransition } from './pureTransition.js';
import { stateName } from './stateName.js';
import { upcast } from './upcasters.js';

export interface ReplayResult<M extends AnyStateMachine> {
  readonly snapshot: SnapshotFrom<M>;
  /** Revision of the last event folded; null for an empty stream. */
  readonly revision: bigint | null;
  readonly state: string;
  readonly events: number;
}

/** The snapshot a machine starts from, before its first stored event. */
export function initialSnapshot<M extends AnyStateMachine>(machine: M): SnapshotFrom<M> {
  // Snapshots are immutable: one per machine serves every fold (computing it builds an actor).
  const known = initials.get(machine) as SnapshotFrom<M> | undefined;
  if (known) return known;
  const initial = (initialTransition as (m: M) => [SnapshotFrom<M>, unknown])(machine)[0];
  initials.set(machine, initial);
  return initial;
}

const initials = new WeakMap<AnyStateMachine, unknown>();

/**
 * One pure step: the snapshot after `event`, or an EventNotAcceptedError when the state does not
 * accept it. `where` names the stream and revision for the error.
 */
export function applyEvent<M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  event: MachineEventObject,
  where: string,
  /** When given, the step's actions are pushed here (see collectingTransition). */
  actions?: StepAction[],
): SnapshotFrom<M> {
  const snap = snapshot as unknown as { can(e: unknown): boolean; value: never; status: string };
  if (snap.status !== 'active' || !snap.can(event)) {
    throw new EventNotAcceptedError(where, event.type, stateName(snap.value));
  }
  return actions ? collectingTransition(machine, snapshot, event, actions) : pureTransition(machine, snapshot, event);
}

/**
 * Refuse an event written by a newer version of its machine than `known` (older versions are
 * read through the upcasters); an event without a stored version is taken as the oldest.
 */
export function checkMachineVersion(recorded: RecordedEvent, machine: string, known: number, where: string): void {
  const stored = recorded.metadata.machineVersion;
  if (typeof stored === 'number' && stored > known) throw new NewerMachineVersionError(where, machine, stored, known);
}

/** Upcast a recorded event and turn it into the machine's event object. */
export function machineEventOf(recorded: RecordedEvent): MachineEventObject {
  const schema = typeof recorded.metadata.schema === 'number' ? recorded.metadata.schema : 1;
  return toMachineEvent({ type: recorded.type, data: upcast(recorded.type, recorded.data as JsonObject, schema) });
}

export function replayEvents<M extends AnyStateMachine>(
  machine: M,
  stream: string,
  events: Iterable<RecordedEvent>,
  from: { snapshot: SnapshotFrom<M>; revision: bigint | null } = { snapshot: initialSnapshot(machine), revision: null },
  version?: number,
): ReplayResult<M> {
  let { snapshot, revision } = from;
  let count = 0;
  for (const recorded of events) {
    const where = `${stream}@${recorded.revision}`;
    if (version !== undefined) checkMachineVersion(recorded, machine.id, version, where);
    snapshot = applyEvent(machine, snapshot, machineEventOf(recorded), where);
    const reached = stateName((snapshot as unknown as { value: never }).value);
    const stored = recorded.metadata.state;
    if (typeof stored === 'string' && stored !== reached) {
      throw new InvariantError(`${where}: ${recorded.type} reached state ${reached}, but the log recorded ${stored}`);
    }
    revision = recorded.revision;
    count += 1;
  }
  return { snapshot, revision, state: stateName((snapshot as unknown as { value: never }).value), events: count };
}

/** Read a whole stream from the log and fold it; with `version`, refuse events of a newer machine version. */
export async function replay<M extends AnyStateMachine>(
  log: EventLog,
  stream: string,
  machine: M,
  version?: number,
): Promise<ReplayResult<M>> {
  const events: RecordedEvent[] = [];
  for await (const e of log.readStream(stream)) events.push(e);
  return replayEvents(machine, stream, events, undefined, version);
}
