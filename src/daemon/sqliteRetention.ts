/**
 * Retention on the sqlite log: the `messages` projection knows when each message became final
 * (`final_at`) and whether its body was removed (`body_removed`, set after the spool removed it).
 */
import type { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import type { RetentionStore } from './maintenance.js';

export function sqliteRetention(sqlite: SqliteEventLog): RetentionStore {
  const db = sqlite.database;
  const expired = db.prepare(
    'SELECT id, body_ref AS ref FROM messages WHERE live = 0 AND body_removed = 0 AND final_at < ? LIMIT ?',
  );
  const mark = db.prepare('UPDATE messages SET body_removed = 1 WHERE id = ?');
  return {
    expiredBodies: async (isoTime, limit) => expired.all(isoTime, limit) as { id: string; ref: string }[],
    bodyRemoved: (id) => void mark.run(id),
    deleteStreamsBefore: (prefix, isoTime) => sqlite.deleteStreamsBefore(prefix, isoTime),
  };
}
