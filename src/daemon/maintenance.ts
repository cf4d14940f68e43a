/**
 * Periodic housekeeping of the sqlite store: bodies of final messages are removed from the
 * spool once `queue.bodyRetention` has passed (the message's history stays), and session and
 * probe streams older than `queue.sessionRetention` are deleted. Runs at start and hourly.
 */
import type { Logger } from '../logging/logger.js';
import type { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import type { Spool } from '../spool/spool.js';
import { PROBES_STREAM_PREFIX, SESSION_STREAM_PREFIX } from '../mail/streamNames.js';

export interface MaintenanceOptions {
  readonly sqlite: SqliteEventLog;
  readonly spool: Spool;
  readonly bodyRetention: number;
  readonly sessionRetention: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

export async function runMaintenance(o: MaintenanceOptions): Promise<{ bodies: number; streams: number }> {
  const now = (o.now ?? Date.now)();
  const db = o.sqlite.database;
  const cutoff = new Date(now - o.bodyRetention).toISOString();
  const expired = db
    .prepare(
      'SELECT id, body_ref AS ref FROM messages WHERE live = 0 AND body_removed = 0 AND final_at < ? LIMIT 10000',
    )
    .all(cutoff) as { id: string; ref: string }[];
  const mark = db.prepare('UPDATE messages SET body_removed = 1 WHERE id = ?');
  for (const { id, ref } of expired) {
    await o.spool.remove(ref);
    mark.run(id);
  }
  const sessionCutoff = new Date(now - o.sessionRetention).toISOString();
  const streams =
    (await o.sqlite.deleteStreamsBefore(SESSION_STREAM_PREFIX, sessionCutoff)) +
    (await o.sqlite.deleteStreamsBefore(PROBES_STREAM_PREFIX, sessionCutoff));
  if (expired.length || streams)
    o.logger.info({ bodies: expired.length, streams }, 'retention: removed old bodies and session streams');
  return { bodies: expired.length, streams };
}

export function scheduleMaintenance(o: MaintenanceOptions, everyMs = 3_600_000): () => void {
  const tick = () => void runMaintenance(o).catch((err: unknown) => o.logger.error({ err }, 'retention pass failed'));
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
