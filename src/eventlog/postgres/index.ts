/**
 * The PostgreSQL event-log adapter, public surface: PostgresEventLog, its options and its
 * group-commit counters. Errors are the port's and the shared EventLogWriteError/OpenError.
 */
export { PostgresEventLog, type PostgresEventLogOptions } from './postgresEventLog.js';
export type { PostgresGroupCommitStats } from './postgresGroupCommit.js';
export { EventLogLockedError } from './nodeNameLock.js';
