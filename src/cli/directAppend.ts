/**
 * Operator commands with no daemon running: open the sqlite log WRITABLE (with the messages
 * projection, so `mailtrail queue` sees the change), replay the message's stream through the
 * message machine and record the operator's event with an EventSourcedActor created from that
 * replay, so the machine validates it exactly as the daemon would. Nothing else runs: the
 * daemon acts on the new state when it next starts (a retry is due at once, a bounce's DSN is
 * sent by its start-up recovery). Outcomes: recorded, not found, or refused with the state.
 */
import type { MessageEvent } from '../../machines/message.events.js';
import { messageMachine } from '../../machines/message.machine.js';
import type { Config } from '../config/index.js';
import { InvariantError } from '../errors/mailtrailError.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { inlineProjections } from '../queue/inlineProjections.js';
import { isFinalState } from '../queue/messageSummary.js';
import { MESSAGE_IDENTITY } from '../queue/queue.js';
import { messageStream } from '../queue/queueId.js';
import { replay } from '../replay/replay.js';
import { EventSourcedActor } from '../runtime/eventSourcedActor.js';
import { messageSummaries } from './messageStore.js';
import { UsageError } from './openLog.js';

export type MessageOp = 'retry' | 'hold' | 'release' | 'delete' | 'bounce' | 'requeue';

export type DirectOutcome =
  | { readonly kind: 'recorded'; readonly state: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'refused'; readonly state: string; readonly reason: string };

const BY = 'cli';

export function operatorEvent(op: MessageOp, at: string): MessageEvent {
  switch (op) {
    case 'retry': return { type: 'RetryRequested', at, by: BY };
    case 'hold': return { type: 'MessageHeld', at, by: BY };
    case 'release': return { type: 'MessageReleased', at, by: BY };
    case 'delete': return { type: 'MessageDeleted', at, by: BY };
    case 'bounce': return { type: 'MessageBounced', at, reason: 'bounced by the operator', by: BY };
    case 'requeue': return { type: 'MessageRequeued', at, by: BY };
  }
}

function openLogWritable(config: Config): SqliteEventLog {
  if (config.eventLog.type !== 'sqlite') {
    throw new UsageError(`with the daemon stopped this command appends to the sqlite event log; the config uses ${config.eventLog.type} (start the daemon)`);
  }
  return new SqliteEventLog(config.eventLog.path, { projections: [...inlineProjections] });
}

async function recordOn(log: SqliteEventLog, op: MessageOp, id: string): Promise<DirectOutcome> {
  const stream = messageStream(id);
  const replayed = await replay(log, stream, messageMachine);
  if (replayed.revision === null) return { kind: 'not-found' };
  if (isFinalState(replayed.state)) return { kind: 'refused', state: replayed.state, reason: `message ${id} is already ${replayed.state} (final)` };
  const actor = new EventSourcedActor({ log, stream, machine: messageMachine, identity: MESSAGE_IDENTITY, from: replayed });
  try {
    return { kind: 'recorded', state: await actor.record(operatorEvent(op, new Date().toISOString())) };
  } catch (err) {
    if (err instanceof InvariantError && / is not accepted in state /.test(err.message)) {
      return { kind: 'refused', state: replayed.state, reason: `message ${id} is ${replayed.state}: ${op} is not accepted in that state` };
    }
    throw err;
  } finally {
    actor.stop();
  }
}

export async function recordDirectly(config: Config, op: MessageOp, id: string): Promise<DirectOutcome> {
  const log = openLogWritable(config);
  try {
    return await recordOn(log, op, id);
  } finally {
    await log.close();
  }
}

/** `retry --all` without the daemon: RetryRequested for every deferred message. */
export async function retryAllDirectly(config: Config): Promise<number> {
  const log = openLogWritable(config);
  try {
    let count = 0;
    for (const m of await messageSummaries(log, false)) {
      if (m.state !== 'deferred') continue;
      if ((await recordOn(log, 'retry', m.id)).kind === 'recorded') count += 1;
    }
    return count;
  } finally {
    await log.close();
  }
}
