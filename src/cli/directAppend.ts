/**
 * Operator commands with no daemon running: open the sqlite log WRITABLE (with the messages
 * projection, so `mailtrail queue` sees the change), replay the message's stream through the
 * message machine and record the operator's event with an EventSourcedActor created from that
 * replay, so the machine validates it exactly as the daemon would. Nothing else runs: the
 * daemon acts on the new state when it next starts (a retry is due at once, a bounce's DSN is
 * sent by its start-up recovery). Outcomes: recorded, not found, or refused with the state and
 * a plain-words reason (operatorOps.ts).
 */
import { messageMachine } from '../../machines/message.machine.js';
import type { Config } from '../config/index.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { inlineProjections } from '../readmodel/inlineProjections.js';
import { isFinalState } from '../readmodel/messageSummary.js';
import { operatorEvent, refusalText, type OperatorOp } from '../queue/operatorOps.js';
import { MESSAGE_IDENTITY } from '../queue/queue.js';
import { messageStream } from '../mail/streamNames.js';
import { EventNotAcceptedError } from '../replay/eventNotAcceptedError.js';
import { replay } from '../replay/replay.js';
import { EventSourcedActor } from '../runtime/eventSourcedActor.js';
import { UsageError } from './openLog.js';

export type MessageOp = OperatorOp;

export type DirectOutcome =
  | { readonly kind: 'recorded'; readonly state: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'refused'; readonly state: string; readonly reason: string };

const BY = 'cli';

function openLogWritable(config: Config): SqliteEventLog {
  if (config.eventLog.type !== 'sqlite') {
    throw new UsageError(
      `with the daemon stopped this command appends to the sqlite event log; the config uses ${config.eventLog.type} (start the daemon)`,
    );
  }
  return new SqliteEventLog(config.eventLog.path, { projections: [...inlineProjections] });
}

async function recordOn(log: SqliteEventLog, op: MessageOp, id: string): Promise<DirectOutcome> {
  const stream = messageStream(id);
  const replayed = await replay(log, stream, messageMachine);
  if (replayed.revision === null) return { kind: 'not-found' };
  if (isFinalState(replayed.state))
    return { kind: 'refused', state: replayed.state, reason: refusalText(op, id, replayed.state) };
  const actor = new EventSourcedActor({
    log,
    stream,
    machine: messageMachine,
    identity: MESSAGE_IDENTITY,
    from: replayed,
    shareFold: true,
  });
  try {
    return { kind: 'recorded', state: await actor.record(operatorEvent(op, new Date().toISOString(), BY)) };
  } catch (err) {
    if (err instanceof EventNotAcceptedError)
      return { kind: 'refused', state: err.state, reason: refusalText(op, id, err.state) };
    throw err;
  } finally {
    actor.stop();
  }
}

/** Record `op` on each message in turn (one open of the log), reporting each outcome. */
export async function recordDirectly(
  config: Config,
  op: MessageOp,
  ids: readonly string[],
  each: (id: string, outcome: DirectOutcome) => void,
): Promise<void> {
  const log = openLogWritable(config);
  try {
    for (const id of ids) each(id, await recordOn(log, op, id));
  } finally {
    await log.close();
  }
}
