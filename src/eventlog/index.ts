/**
 * The event-log barrel: the port (EventLog, its types and errors) and the embedded
 * adapters — SqliteEventLog (durable, the default) and MemoryEventLog (unit tests only) —
 * and the server ones, PostgresEventLog and KurrentdbEventLog.
 */
export * from './eventLog.js';
export * from './memory/index.js';
export * from './sqlite/index.js';
export { KurrentdbEventLog } from './kurrentdb/index.js';
export { PostgresEventLog, EventLogLockedError } from './postgres/index.js';
