/**
 * What the queue needs at start-up from the log's read model: the live messages, the final
 * ones still owed a DSN, and whether a spool body belongs to a message. The sqlite log keeps
 * this as an inline projection (messagesProjection.ts); for other logs it is built here by
 * folding every message stream once.
 */
import type { EventLog } from '../eventlog/eventLog.js';
import { type MessageFold, type MessageSummary, foldMessage, isFinalState } from './messageSummary.js';
import { dsnIdFor } from '../mail/queueId.js';
import { MESSAGE_STREAM_PREFIX, messageIdOf } from '../mail/streamNames.js';
import type { StoredSnapshot } from './messageSnapshot.js';

/** A live message as start-up pages through them: enough to index it without an actor. */
export interface LiveEntry {
  readonly id: string;
  readonly state: string;
  readonly nextAttemptAt: string | null;
  readonly receivedAt: string;
}

/** A live message's stream revision now, its state, and its stored snapshot if it has one. */
export interface RestingEntry {
  readonly revision: bigint;
  readonly state: string;
  readonly snapshot?: StoredSnapshot;
}

/**
 * What a log with stored snapshots (the sqlite log's projections) offers start-up: the live
 * messages page by page, and each one's snapshot when it is woken, so deferred messages wait
 * as rows, not actors, and no history is folded. Synchronous: read between two turns of the loop.
 */
export interface SnapshotSource {
  liveCount(): number;
  /** Live messages with an id after `after` (''), in id order, at most `limit`. */
  livePage(after: string, limit: number): readonly LiveEntry[];
  /** Undefined when the message is final or unknown. */
  restingEntry(id: string): RestingEntry | undefined;
}

export interface RecoverySource {
  /** Present when the log keeps snapshots: start-up then recovers in the background from them. */
  readonly snapshots?: SnapshotSource;
  /** Messages not in a final state. */
  liveMessages(): Promise<readonly MessageSummary[]> | readonly MessageSummary[];
  /** Final messages with failed recipients, a sender to tell, and no DSN queued yet. */
  unsentBounces(): Promise<readonly string[]> | readonly string[];
  /** Does any message (live or final) have this id? For the spool's orphan sweep. */
  isKnown(id: string): Promise<boolean> | boolean;
}

/** A final message with failed recipients and a sender to tell (never <>, never a deleted one). */
export function needsBounce(s: MessageSummary): boolean {
  return (
    (s.state === 'delivered' || s.state === 'bounced') &&
    s.sender !== '' &&
    s.recipients.some((r) => r.status === 'failed')
  );
}

export async function scanRecoverySource(log: EventLog): Promise<RecoverySource> {
  const folds = new Map<string, MessageFold>();
  for await (const e of log.readAll({ filter: { streamPrefixes: [MESSAGE_STREAM_PREFIX] } })) {
    const id = messageIdOf(e.stream)!;
    const next = foldMessage(folds.get(id), e);
    if (next) folds.set(id, next);
  }
  const byId = new Map<string, MessageSummary>([...folds].map(([id, f]) => [id, f.summary]));
  const all = [...byId.values()];
  return {
    liveMessages: () => all.filter((s) => !isFinalState(s.state)),
    unsentBounces: () => all.filter((s) => needsBounce(s) && !byId.has(dsnIdFor(s.id))).map((s) => s.id),
    isKnown: (id) => byId.has(id),
  };
}
