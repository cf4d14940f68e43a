/**
 * The sqlite log's inline projections, in one list: every writable SqliteEventLog that
 * appends message events should be opened with all of them (the daemon, SqliteStorage, the
 * CLI's direct appends), and `mailtrail rebuild-projections` drops and refills the tables
 * named here. A log opened with only some of them leaves the others stale until a rebuild.
 */
import type { SqliteProjection } from '../eventlog/sqlite/sqliteProjection.js';
import { messagesProjection } from './messagesProjection.js';
import { SEARCH_TABLES, searchProjection } from './searchProjection.js';
import { SNAPSHOT_TABLE, messageSnapshotsProjection } from './snapshotProjection.js';

export const inlineProjections: readonly SqliteProjection[] = [
  messagesProjection,
  searchProjection,
  messageSnapshotsProjection,
];

/** The tables each projection owns, by projection name (what a rebuild drops). */
export const projectionTables: Readonly<Record<string, readonly string[]>> = {
  [messagesProjection.name]: ['messages'],
  [searchProjection.name]: SEARCH_TABLES,
  [messageSnapshotsProjection.name]: [SNAPSHOT_TABLE],
};
