/**
 * A live message's stored snapshot: XState's persisted snapshot of the message machine after
 * the last event of its stream, as JSON, with the revision it stands at and the machine
 * version that made it. It is a cache of the fold, never the truth: `nextSnapshot` is the same
 * pure step replay takes (upcast, transition), and `restoreSnapshot` names what is wrong with
 * a stored one (missing, corrupt, older machine, behind the stream) so start-up can fold that
 * message's history instead, and say so.
 */
import type { ActorScope, AnyMachineSnapshot, SnapshotFrom } from 'xstate';
import { messageMachine, MESSAGE_MACHINE_VERSION, type MessageMachine } from '../../machines/message.machine.js';
import type { RecordedEvent } from '../eventlog/eventLog.js';
import { applyEvent, initialSnapshot, machineEventOf } from '../replay/replay.js';
import { stateName } from '../replay/stateName.js';
import type { MessageContext } from '../../machines/message.context.js';

export type MessageSnapshot = SnapshotFrom<MessageMachine>;

/** What the projection stores for one live message. */
export interface StoredSnapshot {
  readonly revision: bigint;
  readonly machineVersion: number;
  /** JSON of XState's persisted snapshot. */
  readonly json: string;
}

/** Why a stored snapshot cannot be used (start-up folds the history instead, and logs this). */
export type SnapshotProblem = 'missing' | 'corrupt' | 'machine-version' | 'behind';

export type RestoredSnapshot =
  | { readonly ok: true; readonly snapshot: MessageSnapshot; readonly revision: bigint }
  | { readonly ok: false; readonly problem: SnapshotProblem; readonly detail: string };

/** restoreSnapshot() reads no actor scope for a machine without children (ours has none). */
const noScope = {} as ActorScope<AnyMachineSnapshot, never>;

/** The machine's snapshot in `state` with `context` (a fold read back from a row, or an appender's). */
export function snapshotFromFold(state: string, context: MessageContext): MessageSnapshot {
  return messageMachine.resolveState({ value: state, context });
}

/** The persisted form (what XState's actors take as `snapshot:`), as JSON. */
export function persistSnapshot(snapshot: MessageSnapshot): string {
  return JSON.stringify(messageMachine.getPersistedSnapshot(snapshot));
}

/** A machine snapshot from its persisted JSON; throws on JSON or a state the machine lacks. */
export function parseSnapshot(json: string, machine: MessageMachine = messageMachine): MessageSnapshot {
  const persisted = JSON.parse(json) as { status?: unknown; value?: unknown; context?: unknown };
  if (
    typeof persisted !== 'object' ||
    persisted === null ||
    persisted.status !== 'active' ||
    persisted.value === undefined ||
    typeof persisted.context !== 'object'
  ) {
    throw new TypeError('not a persisted snapshot of an active machine');
  }
  return machine.restoreSnapshot(persisted as never, noScope as never) as MessageSnapshot;
}

/**
 * The snapshot after `event`, from the one before it (undefined for the stream's first event):
 * replay's step. Throws EventNotAcceptedError when the state does not accept the event.
 */
export function nextSnapshot(before: MessageSnapshot | undefined, event: RecordedEvent): MessageSnapshot {
  const from = before ?? initialSnapshot(messageMachine);
  return applyEvent(messageMachine, from, machineEventOf(event), `${event.stream}@${event.revision}`);
}

export const snapshotState = (snapshot: MessageSnapshot): string =>
  stateName((snapshot as unknown as { value: never }).value);

/**
 * Check a stored snapshot against what the stream says (its last revision) and this
 * mailtrail's machine version, and restore it for `machine` (the queue's provided one).
 */
export function restoreSnapshot(
  stored: StoredSnapshot | undefined,
  streamRevision: bigint,
  machine: MessageMachine = messageMachine,
): RestoredSnapshot {
  if (!stored) return { ok: false, problem: 'missing', detail: 'no stored snapshot' };
  if (stored.machineVersion !== MESSAGE_MACHINE_VERSION) {
    return {
      ok: false,
      problem: 'machine-version',
      detail: `snapshot of message machine version ${stored.machineVersion}, this mailtrail runs version ${MESSAGE_MACHINE_VERSION}`,
    };
  }
  if (stored.revision !== streamRevision) {
    return {
      ok: false,
      problem: 'behind',
      detail: `snapshot at revision ${stored.revision}, the stream at ${streamRevision}`,
    };
  }
  try {
    return { ok: true, snapshot: parseSnapshot(stored.json, machine), revision: stored.revision };
  } catch (err) {
    return { ok: false, problem: 'corrupt', detail: (err as Error).message };
  }
}
