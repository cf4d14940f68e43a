/**
 * Runs the event-log contract against MemoryEventLog (the in-process test double).
 * Reopen shares the MemoryStorage of the first log, as a restart over the same file would;
 * cleanup closes every log handed out. Nothing else: the memory log has no extras.
 */
import { MemoryEventLog, createMemoryStorage } from '../../src/eventlog/memory/memoryEventLog.js';
import type { EventLog } from '../../src/eventlog/eventLog.js';
import { eventLogContract } from './eventLog.contract.js';

eventLogContract('memory', async () => {
  const storage = createMemoryStorage();
  const logs: EventLog[] = [new MemoryEventLog(storage)];
  return {
    log: logs[0]!,
    async reopen() {
      const log = new MemoryEventLog(storage);
      logs.push(log);
      return log;
    },
    async cleanup() {
      await Promise.all(logs.map((log) => log.close()));
    },
  };
});
