/**
 * SqliteProjection: an inline read model kept in the event log's own database.
 * setup() creates its tables when a writable log opens (never in readonly mode);
 * apply() runs for each appended event inside that append's savepoint, so a revision
 * conflict or a throwing apply() rolls back the append together with its projection rows.
 * apply() must be synchronous and must not open transactions of its own.
 */
import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../eventLog.js';

export interface SqliteProjection {
  readonly name: string;
  setup(db: Database.Database): void;
  apply(db: Database.Database, event: RecordedEvent): void;
}
