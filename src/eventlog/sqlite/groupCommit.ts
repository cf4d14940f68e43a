/**
 * GroupCommit: batches the appends of one event-loop tick into one SQLite transaction.
 * The first enqueue() of a tick schedules flush() with setImmediate; flush() runs BEGIN
 * IMMEDIATE, each request in its own SAVEPOINT (a failing request is rolled back alone and
 * rejected), then one COMMIT — one fsync for the whole batch. Promises settle only after
 * COMMIT returned; if BEGIN/COMMIT fails (or SQLite aborts the transaction), every request
 * of the batch rejects. flush() is synchronous: it runs on the event-loop thread (the writer
 * thread, writerThread.ts, runs the same BatchCommitter off it).
 */
import type Database from 'better-sqlite3';

export interface GroupCommitStats {
  /** flush() runs that had work (one transaction each). */
  batches: number;
  /** Transactions committed. */
  commits: number;
  /** Requests committed. */
  appended: number;
  /** Requests rejected on their own (conflicts, projection errors). */
  rejected: number;
  /** Transactions that failed as a whole. */
  failedBatches: number;
  largestBatch: number;
  /** Time spent in flush() (BEGIN … COMMIT, i.e. the event loop blocked), in ms. */
  flushMsTotal: number;
  flushMsMax: number;
}

interface Pending<Req, Res> {
  readonly request: Req;
  readonly resolve: (value: Res) => void;
  readonly reject: (error: unknown) => void;
}

export type Outcome<Res> = { ok: true; value: Res } | { ok: false; error: unknown };

/**
 * One transaction for many requests, each in its own savepoint: the part of group commit that
 * touches SQLite, shared by GroupCommit (on the event loop) and the writer thread.
 * commit() returns each request's outcome, or throws (after rolling back) if the transaction
 * as a whole failed.
 */
export class BatchCommitter<Req, Res> {
  private readonly sql: Record<
    'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit' | 'rollback',
    Database.Statement
  >;

  constructor(
    private readonly db: Database.Database,
    /** Applies one request inside the open savepoint; throws to reject it alone. */
    private readonly apply: (request: Req) => Res,
  ) {
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      savepoint: db.prepare('SAVEPOINT append'),
      release: db.prepare('RELEASE append'),
      rollbackTo: db.prepare('ROLLBACK TO append'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    };
  }

  commit(requests: readonly Req[]): Outcome<Res>[] {
    const outcomes: Outcome<Res>[] = [];
    try {
      this.sql.begin.run();
      for (const request of requests) outcomes.push(this.applyOne(request));
      this.sql.commit.run();
      return outcomes;
    } catch (cause) {
      if (this.db.inTransaction) {
        try {
          this.sql.rollback.run();
        } catch {
          // The connection is unusable; the original error says why.
        }
      }
      throw new BatchFailed(cause, outcomes);
    }
  }

  private applyOne(request: Req): Outcome<Res> {
    this.sql.savepoint.run();
    try {
      const value = this.apply(request);
      this.sql.release.run();
      return { ok: true, value };
    } catch (error) {
      // Some errors (I/O, disk full) make SQLite abort the whole transaction: fail the batch.
      if (!this.db.inTransaction) throw error;
      this.sql.rollbackTo.run();
      this.sql.release.run();
      return { ok: false, error };
    }
  }
}

/** The whole transaction failed; `outcomes` holds the requests that had failed on their own before. */
export class BatchFailed {
  constructor(
    readonly cause: unknown,
    readonly outcomes: readonly Outcome<unknown>[],
  ) {}
}

export class GroupCommit<Req, Res> {
  readonly stats: GroupCommitStats = {
    batches: 0,
    commits: 0,
    appended: 0,
    rejected: 0,
    failedBatches: 0,
    largestBatch: 0,
    flushMsTotal: 0,
    flushMsMax: 0,
  };
  private queue: Pending<Req, Res>[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly committer: BatchCommitter<Req, Res>;

  constructor(
    db: Database.Database,
    /** Applies one request inside the open savepoint; throws to reject it alone. */
    apply: (request: Req) => Res,
    /** Called after each successful COMMIT with the committed results. */
    private readonly afterCommit: (results: Res[]) => void,
    /** Wraps an error that failed the whole batch. */
    private readonly batchError: (cause: unknown) => unknown = (cause) => cause,
  ) {
    this.committer = new BatchCommitter(db, apply);
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued now; called by the scheduled immediate and by close(). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const started = performance.now();
    try {
      this.commitBatch(batch);
    } finally {
      recordFlush(this.stats, performance.now() - started);
    }
  }

  private commitBatch(batch: Pending<Req, Res>[]): void {
    let outcomes: Outcome<Res>[];
    try {
      outcomes = this.committer.commit(batch.map((item) => item.request));
    } catch (failed) {
      const { cause, outcomes: before } = failed as BatchFailed;
      countBatch(this.stats, batch.length, undefined);
      const error = this.batchError(cause);
      batch.forEach((item, i) => {
        const outcome = before[i];
        item.reject(outcome && !outcome.ok ? outcome.error : error);
      });
      return;
    }
    countBatch(this.stats, batch.length, outcomes);
    const committed: Res[] = [];
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        committed.push(outcome.value);
        item.resolve(outcome.value);
      } else {
        item.reject(outcome.error);
      }
    });
    this.afterCommit(committed);
  }
}

/** Counts one batch in `stats`: committed with these outcomes, or failed as a whole (undefined). */
export function countBatch(
  stats: GroupCommitStats,
  size: number,
  outcomes: readonly Outcome<unknown>[] | undefined,
): void {
  stats.batches++;
  stats.largestBatch = Math.max(stats.largestBatch, size);
  if (!outcomes) {
    stats.failedBatches++;
    return;
  }
  stats.commits++;
  const ok = outcomes.filter((o) => o.ok).length;
  stats.appended += ok;
  stats.rejected += size - ok;
}

export function recordFlush(stats: GroupCommitStats, ms: number): void {
  stats.flushMsTotal += ms;
  stats.flushMsMax = Math.max(stats.flushMsMax, ms);
}
