/**
 * Retention for the SQLite event log: delete whole streams whose last append is older than
 * a cut-off (e.g. SMTP session streams kept for 30 days). Runs in one synchronous
 * transaction on the writer; inline projection rows are NOT touched (a projection that
 * needs pruning prunes its own tables). A deleted stream can be started again from 0n.
 */
import type Database from 'better-sqlite3';
import { globPrefix } from './eventReader.js';

/** Deletes streams named `prefix…` last appended before `isoTime`; returns how many. */
export function deleteStreamsBefore(db: Database.Database, prefix: string, isoTime: string): number {
  const cutoff = new Date(isoTime).toISOString();
  return db
    .transaction(() => {
      const pattern = globPrefix(prefix);
      db.prepare(
        `DELETE FROM events WHERE stream IN (SELECT stream FROM streams WHERE stream GLOB ? AND updated_at < ?)`,
      ).run(pattern, cutoff);
      return Number(
        db.prepare('DELETE FROM streams WHERE stream GLOB ? AND updated_at < ?').run(pattern, cutoff).changes,
      );
    })
    .immediate();
}
