/**
 * PostgresReader: the queries behind readStream, readAll and subscriptions, one page each.
 * Global reads stop below the final bound (pg_snapshot_xmin << 20): positions under it can
 * no longer appear, because every transaction that could write one has ended. `settle()`
 * waits until every transaction that had started when it was called has ended, so a readAll
 * right after an append sees that append (bounded wait: a transaction left open elsewhere
 * only delays, it never hides events from a later read).
 */
import type pg from 'pg';
import type { EventFilter, RecordedEvent } from '../eventLog.js';
import { FINAL_BOUND_SQL, INDEX_BITS } from './schema.js';

interface EventRow {
  position: string;
  stream: string;
  revision: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

const COLUMNS = 'position, stream, revision, type, data, metadata, recorded_at';

function toEvent(row: EventRow): RecordedEvent {
  return {
    stream: row.stream,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    type: row.type,
    data: row.data,
    metadata: row.metadata ?? {},
    recordedAt: row.recorded_at.toISOString(),
  };
}

/** Where a subscription from 'end' starts: the bound, minus what had committed at that moment. */
export interface EndSnapshot {
  readonly from: bigint;
  /** pg_current_snapshot() as text: events visible in it had committed before subscribe(). */
  readonly snapshot: string;
  /** Positions from here on were all written after the snapshot. */
  readonly until: bigint;
}

export class PostgresReader {
  constructor(private readonly pool: pg.Pool) {}

  async streamPage(stream: string, from: bigint, limit: number): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM mailtrail_events WHERE stream = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
      [stream, String(from), limit],
    );
    return rows.map(toEvent);
  }

  /** The last event of each of `streams` that has one, in no particular order. */
  async lastEvents(streams: readonly string[]): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT e.* FROM unnest($1::text[]) AS s(name)
       CROSS JOIN LATERAL (
         SELECT ${COLUMNS} FROM mailtrail_events WHERE stream = s.name ORDER BY revision DESC LIMIT 1
       ) e`,
      [streams],
    );
    return rows.map(toEvent);
  }

  /** Events from `from` (inclusive) below `bound`, in global order, filtered. */
  async allPage(
    from: bigint,
    bound: bigint,
    filter: EventFilter | undefined,
    limit: number,
    end?: EndSnapshot,
  ): Promise<RecordedEvent[]> {
    const params: unknown[] = [String(from), String(bound), limit];
    const where = ['position >= $1', 'position < $2'];
    if (filter?.streamPrefixes) {
      params.push(filter.streamPrefixes);
      where.push(`EXISTS (SELECT 1 FROM unnest($${params.length}::text[]) AS p WHERE starts_with(stream, p))`);
    }
    if (filter?.types) {
      params.push(filter.types);
      where.push(`type = ANY($${params.length}::text[])`);
    }
    if (end && from < end.until) {
      params.push(String(end.until), end.snapshot);
      where.push(
        `NOT (position < $${params.length - 1} AND pg_visible_in_snapshot(transaction_id, $${params.length}::pg_snapshot))`,
      );
    }
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM mailtrail_events WHERE ${where.join(' AND ')} ORDER BY position LIMIT $3`,
      params,
    );
    return rows.map(toEvent);
  }

  async finalBound(): Promise<bigint> {
    const { rows } = await this.pool.query<{ bound: string }>(FINAL_BOUND_SQL);
    return BigInt(rows[0]!.bound);
  }

  /** Waits (polling, up to `maxWaitMs`) until the transactions running now have ended. */
  async settle(maxWaitMs: number, pollMs: number): Promise<void> {
    const { rows } = await this.pool.query<{ xmax: string }>(
      'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax',
    );
    const target = BigInt(rows[0]!.xmax) << BigInt(INDEX_BITS);
    const deadline = Date.now() + maxWaitMs;
    while ((await this.finalBound()) < target && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  async endSnapshot(): Promise<EndSnapshot> {
    const { rows } = await this.pool.query<{ snapshot: string; xmin: string; xmax: string }>(
      `SELECT s::text AS snapshot, pg_snapshot_xmin(s)::text AS xmin, pg_snapshot_xmax(s)::text AS xmax FROM pg_current_snapshot() AS s`,
    );
    const row = rows[0]!;
    return {
      from: BigInt(row.xmin) << BigInt(INDEX_BITS),
      snapshot: row.snapshot,
      until: BigInt(row.xmax) << BigInt(INDEX_BITS),
    };
  }
}
