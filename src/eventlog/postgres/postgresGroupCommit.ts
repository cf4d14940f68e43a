/**
 * PostgresGroupCommit: gathers the appends issued while the previous batch is in flight and
 * sends them as one `SELECT * FROM mailtrail_append($1)`: one round trip, one transaction,
 * one WAL flush for the whole batch; each append runs in its own subtransaction there, so a
 * conflicting or failing append is rejected alone. One batch is in flight at a time (batch N
 * commits while N+1 gathers). If the call fails as a whole (server unreachable, commit
 * failed) every append of the batch rejects with EventLogWriteError (451 4.3.0); when the
 * connection broke after COMMIT was sent, the batch may still have been written — the caller
 * was not acknowledged, so a retry may duplicate, never lose.
 */
import type pg from 'pg';
import { ExpectedRevisionConflictError, type AppendResult, type ExpectedRevision } from '../eventLog.js';
import { EventLogWriteError } from '../sqlite/sqliteErrors.js';
import { MAX_EVENTS_PER_TRANSACTION } from './schema.js';
import { EventLogLockedError } from './nodeNameLock.js';

export interface PostgresAppend {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  /** data and metadata already serialised, so PostgreSQL stores the exact JSON text. */
  readonly events: readonly { type: string; data: string; metadata: string }[];
}

export interface PostgresGroupCommitStats {
  /** Batches sent (one transaction each). */
  batches: number;
  /** Appends committed. */
  appended: number;
  /** Appends rejected on their own (conflicts, a statement error). */
  rejected: number;
  /** Batches that failed as a whole. */
  failedBatches: number;
  largestBatch: number;
}

interface Pending {
  readonly request: PostgresAppend;
  readonly resolve: (value: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface Row {
  idx: number;
  outcome: 'ok' | 'conflict' | 'error';
  revision: string | null;
  last_position: string | null;
  actual: string | null;
  detail: string | null;
}

/** Most events sent in one batch; larger backlogs go in several batches. */
const BATCH_EVENTS = 5000;

export class PostgresGroupCommit {
  readonly stats: PostgresGroupCommitStats = {
    batches: 0,
    appended: 0,
    rejected: 0,
    failedBatches: 0,
    largestBatch: 0,
  };
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly target: string,
    /** Resolves once the schema exists; rejects when the server cannot be reached. */
    private readonly ready: () => Promise<void>,
    /** Called after each commit that wrote something. */
    private readonly afterCommit: () => void,
  ) {}

  enqueue(request: PostgresAppend): Promise<AppendResult> {
    if (request.events.length > MAX_EVENTS_PER_TRANSACTION) {
      return Promise.reject(
        new EventLogWriteError(
          this.target,
          new Error(`${request.events.length} events in one append: at most ${MAX_EVENTS_PER_TRANSACTION}`),
        ),
      );
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves when every append queued so far has settled. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // Let the appends of this tick join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) await this.send(this.takeBatch());
    } finally {
      this.running = undefined;
    }
  }

  private takeBatch(): Pending[] {
    let events = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || events + this.queue[n]!.request.events.length <= BATCH_EVENTS)) {
      events += this.queue[n]!.request.events.length;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async send(batch: Pending[]): Promise<void> {
    this.stats.batches++;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    let rows: Row[];
    try {
      await this.ready();
      const payload = JSON.stringify(
        batch.map(({ request }) => ({
          stream: request.stream,
          expected: String(request.expected),
          events: request.events,
        })),
      );
      rows = (await this.pool.query<Row>('SELECT * FROM mailtrail_append($1::json)', [payload])).rows;
    } catch (cause) {
      this.stats.failedBatches++;
      const error = cause instanceof EventLogLockedError ? cause : new EventLogWriteError(this.target, cause);
      for (const item of batch) item.reject(error);
      return;
    }
    let wrote = false;
    batch.forEach((item, i) => {
      const row = rows.find((r) => r.idx === i);
      const { stream, expected } = item.request;
      if (row?.outcome === 'ok') {
        wrote = true;
        this.stats.appended++;
        item.resolve({ nextExpectedRevision: BigInt(row.revision!), position: BigInt(row.last_position!) });
        return;
      }
      this.stats.rejected++;
      if (row?.outcome === 'conflict') {
        item.reject(
          new ExpectedRevisionConflictError(stream, expected, row.actual === null ? 'no_stream' : BigInt(row.actual)),
        );
      } else {
        item.reject(
          new EventLogWriteError(this.target, new Error(row?.detail ?? `no outcome for the append to ${stream}`)),
        );
      }
    });
    if (wrote) this.afterCommit();
  }
}
