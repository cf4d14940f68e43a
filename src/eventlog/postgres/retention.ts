/**
 * Retention for the PostgreSQL event log: delete whole streams whose last event the server
 * recorded before a cut-off (SMTP session and probe streams kept for `queue.sessionRetention`),
 * as the sqlite log's retention does. One statement, so it is all or nothing; several nodes
 * running it at once delete each stream once. Readers are not disturbed: they read positions
 * above what they have seen, and these streams ended long before the cut-off.
 */
import type pg from 'pg';

/** Deletes the streams named `prefix…` whose last event was recorded before `isoTime`; returns how many. */
export async function deleteStreamsBefore(
  pool: Pick<pg.Pool, 'query'>,
  prefix: string,
  isoTime: string,
): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `WITH old AS (
       SELECT stream FROM mailtrail_events WHERE starts_with(stream, $1)
       GROUP BY stream HAVING max(recorded_at) < $2::timestamptz
     ), gone AS (
       DELETE FROM mailtrail_events e USING old WHERE e.stream = old.stream RETURNING e.stream
     )
     SELECT count(DISTINCT stream) AS n FROM gone`,
    [prefix, new Date(isoTime).toISOString()],
  );
  return Number(rows[0]?.n ?? 0);
}
