/**
 * The spool's inline-body store for the daemon: the sqlite log's `bodies` table, read and
 * trimmed through the log's own connection. Only the sqlite log keeps bodies; with the other
 * adapters, or `spool.inlineThreshold: 0`, every body is a file. The bodies taken in lately are
 * kept in memory in front of it (RecentInlineBodies), so a first attempt reads no row back.
 */
import type { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import type { InlineBodyStore } from '../spool/inlineBodies.js';
import { RecentInlineBodies } from '../spool/recentInlineBodies.js';

export function inlineBodyStore(threshold: number, sqlite: SqliteEventLog | undefined): InlineBodyStore | undefined {
  if (!sqlite || threshold <= 0) return undefined;
  return new RecentInlineBodies({
    threshold,
    read: (id) => sqlite.readBody(id),
    remove: (id) => sqlite.removeBody(id),
  });
}
