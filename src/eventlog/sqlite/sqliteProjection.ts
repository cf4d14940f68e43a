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
  /**
   * The URL of the module that exports this projection (`import.meta.url`): the writer thread
   * imports it from there, since a function cannot be sent to a thread. Required with
   * `writer: 'thread'`.
   */
  readonly module?: string;
  setup(db: Database.Database): void;
  apply(db: Database.Database, event: RecordedEvent): void;
}
