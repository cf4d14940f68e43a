/**
 * Refilling inline projections from the log, synchronously on the writing connection:
 * replayInto() feeds stored events, page by page in position order, to projections' apply()
 * exactly as the live appends did (same RecordedEvent fields), and rebuildProjections() drops
 * their tables, re-creates them and replays the whole log in ONE immediate transaction, so a
 * reader sees the old tables or the new ones, never half. Column values that do not come from
 * events (messages.body_removed, set by spool maintenance) are carried over.
 */
import type Database from 'better-sqlite3';
import type { EventFilter } from '../eventlog/eventLog.js';
import { EventReader } from '../eventlog/sqlite/eventReader.js';
import type { SqliteProjection } from '../eventlog/sqlite/sqliteProjection.js';

/** Called after each page: events replayed so far, and how many there are in all. */
export type ProgressListener = (done: number, total: number) => void;

const PAGE = 1000;

export function replayInto(
  db: Database.Database,
  projections: readonly SqliteProjection[],
  filter?: EventFilter,
  onProgress?: ProgressListener,
): number {
  const reader = new EventReader(db);
  const total = Number(db.prepare('SELECT count(*) FROM events').pluck().get());
  let from = 0n;
  let done = 0;
  for (;;) {
    const page = reader.allPage(from, filter, PAGE);
    for (const event of page) for (const p of projections) p.apply(db, event);
    done += page.length;
    onProgress?.(done, total);
    if (page.length < PAGE) return done;
    from = page[page.length - 1]!.position + 1n;
  }
}

export interface RebuildResult {
  readonly events: number;
  /** Rows in each rebuilt table afterwards. */
  readonly rows: Readonly<Record<string, number>>;
  readonly ms: number;
}

const tableExists = (db: Database.Database, name: string): boolean =>
  db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;

/** Drops `tables`, runs each projection's setup() and replays the whole log, in one transaction. */
export function rebuildProjections(
  db: Database.Database,
  projections: readonly SqliteProjection[],
  tables: readonly string[],
  onProgress?: ProgressListener,
): RebuildResult {
  const started = performance.now();
  const rebuild = db.transaction((): RebuildResult => {
    const bodyRemoved =
      tables.includes('messages') && tableExists(db, 'messages')
        ? (db.prepare('SELECT id FROM messages WHERE body_removed = 1').pluck().all() as string[])
        : [];
    for (const table of tables) db.exec(`DROP TABLE IF EXISTS "${table.replace(/"/g, '""')}"`);
    for (const p of projections) p.setup(db);
    const events = replayInto(db, projections, undefined, onProgress);
    const mark = bodyRemoved.length > 0 ? db.prepare('UPDATE messages SET body_removed = 1 WHERE id = ?') : undefined;
    for (const id of bodyRemoved) mark?.run(id);
    const rows: Record<string, number> = {};
    for (const table of tables)
      rows[table] = Number(
        db
          .prepare(`SELECT count(*) FROM "${table.replace(/"/g, '""')}"`)
          .pluck()
          .get(),
      );
    return { events, rows, ms: 0 };
  });
  const result = rebuild.immediate();
  return { ...result, ms: performance.now() - started };
}
