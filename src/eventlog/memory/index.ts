/**
 * The in-memory event log, for fast unit tests only: nothing is durable.
 * MemoryStorage is exported so a test can "reopen" a log over the same events.
 * Production code uses SqliteEventLog (or KurrentDB).
 */
export { MemoryEventLog } from './memoryEventLog.js';
export { createMemoryStorage, type MemoryStorage } from './memoryStorage.js';
