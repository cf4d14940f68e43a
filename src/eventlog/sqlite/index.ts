/**
 * The SQLite event-log adapter, public surface: SqliteEventLog and its options, the
 * SqliteProjection hook for inline read models, the group-commit stats type and the
 * adapter's typed errors (open failed, readonly, commit failed, file damaged).
 */
export { SqliteEventLog, type SqliteEventLogOptions } from './sqliteEventLog.js';
export type { SqliteProjection } from './sqliteProjection.js';
export type { GroupCommitStats } from './groupCommit.js';
export { EventLogDamagedError, EventLogOpenError, EventLogReadonlyError, EventLogWriteError } from './sqliteErrors.js';
