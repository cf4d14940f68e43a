/**
 * The `messages` table: the sqlite log's inline projection of every message's summary,
 * updated in the same transaction as its events, so start-up reads the live messages from
 * here instead of replaying all history, and the CLI lists the queue with one query. A live
 * message's row also keeps its machine context (the fold the next event continues from).
 */
import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../eventlog/eventLog.js';
import type { SqliteProjection } from '../eventlog/sqlite/sqliteProjection.js';
import type { MessageContext } from '../../machines/message.context.js';
import { EventReader } from '../eventlog/sqlite/eventReader.js';
import {
  type MessageFold,
  type MessageSummary,
  foldMessage,
  foldMessageEvents,
  isFinalState,
  summaryOf,
} from './messageSummary.js';
import type { RecoverySource } from './recoverySource.js';
import { dsnIdFor } from '../mail/queueId.js';
import { messageIdOf, messageStream } from '../mail/streamNames.js';
import { storedSnapshotFrom } from './snapshotProjection.js';

const COLUMNS = `id, state, sender, recipients, attempts, next_attempt_at, received_at, updated_at, final_at,
  size, body_ref, parent_id, origin, session_id, last_reason, revision, live`;

interface Row {
  id: string;
  state: string;
  sender: string;
  recipients: string;
  attempts: number;
  next_attempt_at: string | null;
  received_at: string;
  updated_at: string;
  final_at: string | null;
  size: number;
  body_ref: string;
  parent_id: string | null;
  origin: string;
  session_id: string | null;
  last_reason: string | null;
  revision: number | bigint;
}

export function rowToSummary(r: Row): MessageSummary {
  return {
    id: r.id,
    state: r.state,
    sender: r.sender,
    recipients: JSON.parse(r.recipients) as MessageSummary['recipients'],
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    receivedAt: r.received_at,
    updatedAt: r.updated_at,
    finalAt: r.final_at,
    size: Number(r.size),
    bodyRef: r.body_ref,
    parentId: r.parent_id,
    origin: r.origin,
    sessionId: r.session_id,
    lastReason: r.last_reason,
    revision: BigInt(r.revision),
  };
}

/** Statements prepared once per database, not once per event (apply runs on every append). */
const statements = new WeakMap<Database.Database, { select: Database.Statement; upsert: Database.Statement }>();
function statementsFor(db: Database.Database) {
  let s = statements.get(db);
  if (!s) {
    s = {
      select: db.prepare(`SELECT ${COLUMNS}, context FROM messages WHERE id = ?`),
      // An upsert, not INSERT OR REPLACE: body_removed (set by housekeeping) must survive.
      upsert: db.prepare(`INSERT INTO messages (${COLUMNS}, context) VALUES
        (@id, @state, @sender, @recipients, @attempts, @nextAttemptAt, @receivedAt, @updatedAt, @finalAt,
         @size, @bodyRef, @parentId, @origin, @sessionId, @lastReason, @revision, @live, @context)
        ON CONFLICT(id) DO UPDATE SET ${[...COLUMNS.split(','), 'context']
          .map((c) => c.trim())
          .filter((c) => c !== 'id')
          .map((c) => `${c} = excluded.${c}`)
          .join(', ')}`),
    };
    statements.set(db, s);
  }
  return s;
}

export const messagesProjection: SqliteProjection = {
  name: 'messages',
  module: import.meta.url,
  setup(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS messages (
      id TEXT PRIMARY KEY, state TEXT NOT NULL, sender TEXT NOT NULL, recipients TEXT NOT NULL,
      attempts INTEGER NOT NULL, next_attempt_at TEXT, received_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      final_at TEXT, size INTEGER NOT NULL, body_ref TEXT NOT NULL, parent_id TEXT, origin TEXT NOT NULL,
      session_id TEXT, last_reason TEXT, revision INTEGER NOT NULL, live INTEGER NOT NULL,
      body_removed INTEGER NOT NULL DEFAULT 0, context TEXT);
      CREATE INDEX IF NOT EXISTS messages_live ON messages(live, next_attempt_at);
      CREATE INDEX IF NOT EXISTS messages_live_id ON messages(live, id);
      CREATE INDEX IF NOT EXISTS messages_parent ON messages(parent_id);
      CREATE INDEX IF NOT EXISTS messages_final ON messages(final_at) WHERE live = 0;`);
    // A table from before the fold kept the machine's context: add the column; such a row is
    // folded once from its stream when its next event comes (foldFrom).
    const columns = db.prepare(`PRAGMA table_info(messages)`).all() as { name: string }[];
    if (!columns.some((c) => c.name === 'context')) db.exec('ALTER TABLE messages ADD COLUMN context TEXT');
  },
  apply(db: Database.Database, event: RecordedEvent): void {
    const id = messageIdOf(event.stream);
    if (id === undefined) return;
    const { select, upsert } = statementsFor(db);
    const folds = foldsFor(db);
    const fold =
      foldFromAppender(event) ??
      foldMessage(
        event.type === 'MessageReceived'
          ? undefined
          : (folds.before(id, event.revision) ??
              foldFrom(db, select.get(id) as (Row & { context: string | null }) | undefined, id, event.revision)),
        event,
      );
    if (!fold) return;
    const next = fold.summary;
    folds.keep(id, fold);
    const final = isFinalState(next.state);
    upsert.run({
      ...next,
      id,
      recipients: JSON.stringify(next.recipients),
      revision: next.revision,
      live: final ? 0 : 1,
      // Only a live message's next event continues from the row's context; a final state
      // accepts none, so its row keeps none (a smaller row; were one to come, foldFrom folds
      // the stream, as for rows written before contexts were kept).
      context: final ? null : JSON.stringify(fold.context),
    });
  },
};

/**
 * The last fold written per live message, so the next event (in the writer thread, where the
 * actor's snapshots are out of reach) continues from memory instead of reading the row back
 * and parsing its context. Only a fold at exactly the previous revision is used (a rolled-back
 * savepoint leaves a fold the row does not have, at a revision the retry does not ask for);
 * final messages leave it, and it never holds more than FOLDS_KEPT.
 */
class FoldCache {
  private readonly folds = new Map<string, MessageFold>();

  before(id: string, revision: bigint): MessageFold | undefined {
    const fold = this.folds.get(id);
    return fold && fold.summary.revision === revision - 1n ? fold : undefined;
  }

  keep(id: string, fold: MessageFold): void {
    this.folds.delete(id);
    if (isFinalState(fold.summary.state)) return;
    this.folds.set(id, fold);
    if (this.folds.size > FOLDS_KEPT) this.folds.delete(this.folds.keys().next().value!);
  }
}

const FOLDS_KEPT = 10_000;
const foldCaches = new WeakMap<Database.Database, FoldCache>();
function foldsFor(db: Database.Database): FoldCache {
  let cache = foldCaches.get(db);
  if (!cache) {
    cache = new FoldCache();
    foldCaches.set(db, cache);
  }
  return cache;
}

/**
 * The fold the appending actor already computed for this event (AppenderFold), when the message
 * was not final before it (a final message's row keeps its finalAt, which only the row knows):
 * no row read, no JSON parse, no second transition, on the loop and in the writer thread alike.
 */
function foldFromAppender(event: RecordedEvent): MessageFold | undefined {
  const fold = event.fold;
  if (!fold || (fold.stateBefore === null) !== (event.type === 'MessageReceived')) return undefined;
  if (fold.stateBefore !== null && isFinalState(fold.stateBefore)) return undefined;
  const context = fold.context as unknown as MessageContext;
  return { context, summary: summaryOf(context, fold.state, event) };
}

/** The fold a row holds; a row written before contexts were kept is folded from its stream (events before `upTo`). */
function foldFrom(
  db: Database.Database,
  row: (Row & { context: string | null }) | undefined,
  id: string,
  upTo: bigint,
): MessageFold | undefined {
  if (!row) return undefined;
  if (row.context !== null) return { summary: rowToSummary(row), context: JSON.parse(row.context) as MessageContext };
  return foldMessageEvents(
    new EventReader(db).streamPage(messageStream(id), 0n, 1_000_000).filter((e) => e.revision < upTo),
  );
}

/** Summaries of the messages not yet final, oldest first. */
export function liveMessagesFrom(db: Database.Database): MessageSummary[] {
  return (db.prepare(`SELECT ${COLUMNS} FROM messages WHERE live = 1 ORDER BY received_at`).all() as Row[]).map(
    rowToSummary,
  );
}

export function messageSummaryFrom(db: Database.Database, id: string): MessageSummary | undefined {
  const row = db.prepare(`SELECT ${COLUMNS} FROM messages WHERE id = ?`).get(id) as Row | undefined;
  return row ? rowToSummary(row) : undefined;
}

export function allMessagesFrom(db: Database.Database, limit = 1000): MessageSummary[] {
  return (db.prepare(`SELECT ${COLUMNS} FROM messages ORDER BY received_at DESC LIMIT ?`).all(limit) as Row[]).map(
    rowToSummary,
  );
}

/** Does the projection hold any message (live or final)? One row read; false without the table. */
export function recordsAnyMessage(db: Database.Database): boolean {
  try {
    return db.prepare('SELECT 1 FROM messages LIMIT 1').get() !== undefined;
  } catch {
    return false;
  }
}

/** Start-up's work list from the projection: no history is read but the live messages'. */
export function recoverySourceFrom(db: Database.Database): RecoverySource {
  const page = db.prepare(
    'SELECT id, state, next_attempt_at, received_at FROM messages WHERE live = 1 AND id > ? ORDER BY id LIMIT ?',
  );
  const entry = db.prepare('SELECT revision, state, live FROM messages WHERE id = ?');
  const known = db.prepare('SELECT 1 FROM messages WHERE id = ?');
  return {
    snapshots: {
      liveCount: () => Number(db.prepare('SELECT count(*) FROM messages WHERE live = 1').pluck().get()),
      livePage: (after, limit) =>
        (
          page.all(after, limit) as { id: string; state: string; next_attempt_at: string | null; received_at: string }[]
        ).map((r) => ({ id: r.id, state: r.state, nextAttemptAt: r.next_attempt_at, receivedAt: r.received_at })),
      restingEntry: (id) => {
        const row = entry.get(id) as { revision: number | bigint; state: string; live: number | bigint } | undefined;
        if (!row || Number(row.live) === 0) return undefined;
        const snapshot = storedSnapshotFrom(db, id);
        return { revision: BigInt(row.revision), state: row.state, ...(snapshot ? { snapshot } : {}) };
      },
    },
    liveMessages: () => liveMessagesFrom(db),
    unsentBounces: () =>
      (
        db
          .prepare(`SELECT id FROM messages m WHERE live = 0 AND state IN ('delivered', 'bounced') AND sender <> ''
         AND recipients LIKE '%"status":"failed"%' AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.id = m.id || ?)`)
          .all(dsnIdFor('')) as { id: string }[]
      ).map((r) => r.id),
    // Prepared once: start-up's spool sweep asks for every body (100,000 of them in a full queue).
    isKnown: (id) => known.get(id) !== undefined,
  };
}
