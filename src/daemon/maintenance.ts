/**
 * Periodic housekeeping of the store: bodies of final messages are removed from the spool once
 * `queue.bodyRetention` has passed (the message's history stays), and session and probe
 * streams older than `queue.sessionRetention` are deleted. Runs at start and hourly, on the
 * sqlite log (sqliteRetention.ts) and on the PostgreSQL one (postgresRetention.ts), each of
 * which says which bodies have expired; message streams are never deleted.
 */
import type { Logger } from '../logging/logger.js';
import type { Spool } from '../spool/spool.js';
import { PROBES_STREAM_PREFIX, SESSION_STREAM_PREFIX } from '../mail/streamNames.js';

/** What a retention pass asks of the store it runs on. */
export interface RetentionStore {
  /** Bodies of messages final since before `isoTime` and not removed yet: at most `limit`. */
  expiredBodies(isoTime: string, limit: number): Promise<readonly { id: string; ref: string }[]>;
  /** The body of message `id` is gone from the spool (a store that keeps no mark does nothing). */
  bodyRemoved(id: string): void;
  /** Deletes the streams named `prefix…` whose last event is older than `isoTime`; how many. */
  deleteStreamsBefore(prefix: string, isoTime: string): Promise<number>;
}

export interface MaintenanceOptions {
  readonly store: RetentionStore;
  readonly spool: Pick<Spool, 'remove'>;
  readonly bodyRetention: number;
  readonly sessionRetention: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Bodies removed per pass at most (the next pass, an hour later, takes the rest). */
const BODIES_PER_PASS = 10_000;

export async function runMaintenance(o: MaintenanceOptions): Promise<{ bodies: number; streams: number }> {
  const now = (o.now ?? Date.now)();
  const expired = await o.store.expiredBodies(new Date(now - o.bodyRetention).toISOString(), BODIES_PER_PASS);
  for (const { id, ref } of expired) {
    await o.spool.remove(ref);
    o.store.bodyRemoved(id);
  }
  const sessionCutoff = new Date(now - o.sessionRetention).toISOString();
  const streams =
    (await o.store.deleteStreamsBefore(SESSION_STREAM_PREFIX, sessionCutoff)) +
    (await o.store.deleteStreamsBefore(PROBES_STREAM_PREFIX, sessionCutoff));
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
