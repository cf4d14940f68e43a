/**
 * The `message_snapshots` table: XState's persisted snapshot (messageSnapshot.ts) of each
 * message resting in the queue — deferred, held, or waiting after PoliciesDeferred — written
 * in the same transaction as the event that put it there, so a restart restores it from one
 * row instead of folding its history. A message passing straight through costs nothing here
 * (its transient states are not stored; a final one's row is deleted). The snapshot is the
 * appending actor's state and context (the event's AppenderFold) or, without one (a rebuild, a
 * CLI append), the stream's history folded: a cache of the fold, never the truth. An event the fold does
 * not accept, or a state other than the one the log recorded, drops the row (start-up then
 * folds that history and reports the disagreement) rather than failing the append.
 * `mailtrail rebuild-projections` recomputes every row.
 */
import type Database from 'better-sqlite3';
import { MESSAGE_STREAM_PREFIX } from '../mail/streamNames.js';
import { MESSAGE_MACHINE_VERSION } from '../../machines/message.machine.js';
import type { RecordedEvent } from '../eventlog/eventLog.js';
import { EventReader } from '../eventlog/sqlite/eventReader.js';
import type { SqliteProjection } from '../eventlog/sqlite/sqliteProjection.js';
import { isFinalState } from './messageSummary.js';
import type { MessageContext } from '../../machines/message.context.js';
import {
  type MessageSnapshot,
  type StoredSnapshot,
  nextSnapshot,
  parseSnapshot,
  persistSnapshot,
  snapshotFromFold,
  snapshotState,
} from './messageSnapshot.js';

export const SNAPSHOT_TABLE = 'message_snapshots';

interface Row {
  revision: number | bigint;
  machine_version: number | bigint;
  snapshot: string;
}

interface Statements {
  select: Database.Statement;
  upsert: Database.Statement;
  remove: Database.Statement;
  reader: EventReader;
}

const statements = new WeakMap<Database.Database, Statements>();
function statementsFor(db: Database.Database): Statements {
  let s = statements.get(db);
  if (!s) {
    s = {
      select: db.prepare(`SELECT revision, machine_version, snapshot FROM ${SNAPSHOT_TABLE} WHERE id = ?`),
      upsert: db.prepare(`INSERT INTO ${SNAPSHOT_TABLE} (id, revision, machine_version, snapshot) VALUES (?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET revision = excluded.revision, machine_version = excluded.machine_version, snapshot = excluded.snapshot`),
      remove: db.prepare(`DELETE FROM ${SNAPSHOT_TABLE} WHERE id = ?`),
      reader: new EventReader(db),
    };
    statements.set(db, s);
  }
  return s;
}

/** The snapshot before `event`: the stored row when it stands just before it, else the folded history. */
function snapshotBefore(db: Database.Database, s: Statements, event: RecordedEvent): MessageSnapshot | undefined {
  if (event.revision === 0n) return undefined;
  const row = s.select.get(event.stream.slice(MESSAGE_STREAM_PREFIX.length)) as Row | undefined;
  if (row && Number(row.machine_version) === MESSAGE_MACHINE_VERSION && BigInt(row.revision) === event.revision - 1n) {
    try {
      return parseSnapshot(row.snapshot);
    } catch {
      // a damaged row: fold the history below instead
    }
  }
  let snapshot: MessageSnapshot | undefined;
  for (let from = 0n; from < event.revision; ) {
    const page = s.reader.streamPage(event.stream, from, Math.min(1000, Number(event.revision - from)));
    if (page.length === 0) break;
    for (const e of page) snapshot = nextSnapshot(snapshot, e);
    from = page[page.length - 1]!.revision + 1n;
  }
  return snapshot;
}

/** Does the event leave the message resting (waiting for a timer or an operator)? Then its snapshot is kept. */
export function restsAfter(type: string, state: string): boolean {
  return state === 'deferred' || state === 'held' || (state === 'received' && type === 'PoliciesDeferred');
}

export const messageSnapshotsProjection: SqliteProjection = {
  name: 'message_snapshots',
  module: import.meta.url,
  setup(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS ${SNAPSHOT_TABLE} (
      id TEXT PRIMARY KEY, revision INTEGER NOT NULL, machine_version INTEGER NOT NULL, snapshot TEXT NOT NULL)`);
  },
  apply(db: Database.Database, event: RecordedEvent): void {
    if (!event.stream.startsWith(MESSAGE_STREAM_PREFIX)) return;
    const id = event.stream.slice(MESSAGE_STREAM_PREFIX.length);
    const recorded = event.metadata.state;
    const s = statementsFor(db);
    if (typeof recorded === 'string') {
      if (isFinalState(recorded)) {
        s.remove.run(id);
        return;
      }
      // A transient state: the row (if any) now stands behind the stream, which start-up sees.
      if (!restsAfter(event.type, recorded)) return;
    }
    let after: MessageSnapshot;
    try {
      after = event.fold
        ? snapshotFromFold(event.fold.state, event.fold.context as unknown as MessageContext)
        : nextSnapshot(snapshotBefore(db, s, event), event);
      if (typeof recorded === 'string' && recorded !== snapshotState(after))
        throw new Error('state differs from the log');
    } catch {
      // Not this projection's call to refuse an event the actor accepted: no snapshot, and
      // start-up's fold of this history will name the disagreement.
      s.remove.run(id);
      return;
    }
    const state = snapshotState(after);
    if (isFinalState(state)) s.remove.run(id);
    else if (restsAfter(event.type, state))
      s.upsert.run(id, event.revision, MESSAGE_MACHINE_VERSION, persistSnapshot(after));
  },
};

/** The stored snapshot of a live message (undefined: none). */
export function storedSnapshotFrom(db: Database.Database, id: string): StoredSnapshot | undefined {
  const row = statementsFor(db).select.get(id) as Row | undefined;
  return row
    ? { revision: BigInt(row.revision), machineVersion: Number(row.machine_version), json: row.snapshot }
    : undefined;
}
