/**
 * SqliteEventLog: the embedded, durable EventLog on one SQLite file (better-sqlite3, WAL,
 * synchronous=FULL). Appends are group-committed: one transaction and one fsync per
 * event-loop tick, each append in its own savepoint (GroupCommit); append resolves after
 * COMMIT, on the event loop, or with { writer: 'thread' } in a writer thread (ThreadCommit).
 * Reads and subscriptions page through the table (EventReader, SqliteSubscription).
 * One writer process (the daemon) and any number of { readonly: true } readers may share the
 * file; readers never write and poll for new events. Errors: ExpectedRevisionConflictError,
 * EventLogClosedError, EventLogReadonlyError, EventLogOpenError, EventLogWriteError.
 */
import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { InvariantError } from '../../errors/mailtrailError.js';
import {
  EventLogClosedError,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventLog,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../eventLog.js';
import { EventReader } from './eventReader.js';
import { EventWriter, type AppendRequest } from './eventWriter.js';
import { GroupCommit, type GroupCommitStats } from './groupCommit.js';
import { deleteStreamsBefore } from './retention.js';
import { prepareReader, prepareWriter } from './schema.js';
import { EventLogOpenError, EventLogReadonlyError, EventLogWriteError, asDamage } from './sqliteErrors.js';
import type { SqliteProjection } from './sqliteProjection.js';
import { SqliteSubscription } from './sqliteSubscription.js';
import { ThreadCommit } from './threadCommit.js';

export interface SqliteEventLogOptions {
  /**
   * Open read-only (CLI, status pages): never writes, append throws EventLogReadonlyError.
   * If no writer has the file open, SQLite still creates empty -wal/-shm files (a WAL reader
   * needs the -shm); when run as root it gives them the database file's owner and mode, so
   * the daemon can still open them. The directory must be writable for that, else
   * EventLogOpenError. The file itself must exist and have been initialised by a writer.
   */
  readonly?: boolean;
  /** Inline projections, applied inside each append's savepoint. */
  projections?: SqliteProjection[];
  /** How long a statement waits for another process's lock (blocks the thread). Default 5000. */
  busyTimeoutMs?: number;
  /** How often an idle subscription looks for events written by other processes. Default 200. */
  pollIntervalMs?: number;
  /** Rows per page for reads and subscriptions. Default 500. */
  pageSize?: number;
  /**
   * Where appends are committed: 'loop' (default), on the event loop at the end of each tick;
   * or 'thread', a writer thread with its own connection, so COMMIT and its fsync never block
   * the event loop (its p99 delay stays ~3 ms with 256 appends in flight, against ~21 ms), at
   * the cost of a thread round trip per append: end to end over SMTP it measured slower
   * (docs/performance.md), so it is not the default.
   */
  writer?: 'thread' | 'loop';
}

type Committed = AppendResult;

/**
 * The log holds senders, recipients and subjects: the writer creates the file 0600 (SQLite
 * gives the -wal and -shm files it creates the database file's mode) and takes group and
 * other access away from an existing file and its -wal/-shm (made 0644 by earlier versions).
 */
function makePrivate(path: string): void {
  try {
    closeSync(openSync(path, 'a', 0o600));
  } catch (cause) {
    throw new EventLogOpenError(path, cause instanceof Error ? cause.message : String(cause), cause);
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch {
      // absent, or not ours to change: SQLite reports what matters when it opens the file
    }
  }
}

const EMPTY_STATS: GroupCommitStats = Object.freeze({
  batches: 0,
  commits: 0,
  appended: 0,
  rejected: 0,
  failedBatches: 0,
  largestBatch: 0,
  flushMsTotal: 0,
  flushMsMax: 0,
});

export class SqliteEventLog implements EventLog {
  readonly path: string;
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private readonly reader: EventReader;
  private readonly committer: GroupCommit<AppendRequest, Committed> | undefined;
  private readonly thread: ThreadCommit | undefined;
  private readonly subscriptions = new Set<SqliteSubscription>();
  private readonly pageSize: number;
  private readonly pollMs: number;
  private closed = false;
  private bodyStatements: { read: Database.Statement; remove: Database.Statement } | undefined;

  constructor(path: string, options: SqliteEventLogOptions = {}) {
    this.path = path;
    this.readonly = options.readonly ?? false;
    this.pageSize = options.pageSize ?? 500;
    this.pollMs = options.pollIntervalMs ?? 200;
    if (this.readonly && !existsSync(path)) throw new EventLogOpenError(path, 'no such file');
    if (!this.readonly) makePrivate(path);
    try {
      this.db = new Database(path, { readonly: this.readonly, timeout: options.busyTimeoutMs ?? 5000 });
    } catch (cause) {
      throw new EventLogOpenError(path, cause instanceof Error ? cause.message : String(cause), cause);
    }
    try {
      if (this.readonly) {
        const problem = prepareReader(this.db);
        if (problem) throw new EventLogOpenError(path, problem);
      } else {
        prepareWriter(this.db);
        const projections = options.projections ?? [];
        this.db.transaction(() => {
          for (const p of projections) p.setup(this.db);
        })();
        const wake = () => {
          for (const sub of this.subscriptions) sub.wake();
        };
        if (options.writer === 'thread') {
          const refs = projections.map(({ name, module }) => {
            if (!module)
              throw new InvariantError(`projection ${name} has no module URL: it cannot run in the writer thread`);
            return { name, module };
          });
          this.thread = new ThreadCommit(
            path,
            { path, busyTimeoutMs: options.busyTimeoutMs ?? 5000, projections: refs },
            wake,
          );
        } else {
          const writer = new EventWriter(this.db, projections);
          this.committer = new GroupCommit<AppendRequest, Committed>(
            this.db,
            (request) => writer.append(request, new Date().toISOString()),
            wake,
            (cause) => new EventLogWriteError(path, cause),
          );
        }
      }
      this.reader = new EventReader(this.db);
    } catch (cause) {
      this.db.close();
      if (cause instanceof EventLogOpenError || cause instanceof InvariantError) throw cause;
      throw new EventLogOpenError(path, cause instanceof Error ? cause.message : String(cause), cause);
    }
  }

  /**
   * With the writer thread: `listener` is called once if the thread dies or fails while the log
   * is open, after which every append fails (the daemon stops, exit 75, rather than answer 4xx
   * for ever). The loop writer has no such state: each commit stands alone.
   */
  onWriterLost(listener: (error: Error) => void): void {
    this.thread?.onLost(listener);
  }

  /** The connection, to query projection tables. Do not write events through it. */
  get database(): Database.Database {
    return this.db;
  }

  /** Group-commit counters (all zero on a readonly log). */
  get stats(): Readonly<GroupCommitStats> {
    return this.thread?.stats ?? this.committer?.stats ?? EMPTY_STATS;
  }

  append(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new EventLogClosedError());
    if (this.readonly) return Promise.reject(new EventLogReadonlyError(this.path));
    if (events.length === 0) return Promise.reject(new InvariantError(`append to ${stream}: no events`));
    let request: AppendRequest;
    try {
      request = {
        stream,
        expected: options.expectedRevision ?? 'any',
        ...(options.bodies?.length ? { bodies: options.bodies } : {}),
        // Serialised once; on the loop the projections get the objects it was built from
        // (a thread gets only the JSON: structured-cloning the objects as well would cost more),
        // and both get the appender's fold, which spares them a second fold of the stream.
        events: events.map((e) => {
          const metadata = e.metadata ?? {};
          const serialised = {
            type: e.type,
            data: JSON.stringify(e.data),
            metadata: JSON.stringify(metadata),
            ...(e.fold ? { fold: e.fold } : {}),
          };
          return this.thread ? serialised : { ...serialised, parsed: { data: e.data, metadata } };
        }),
      };
    } catch (cause) {
      return Promise.reject(new InvariantError(`append to ${stream}: event not serialisable: ${String(cause)}`));
    }
    const appended = this.thread ? this.thread.enqueue(request) : this.committer!.enqueue(request);
    // A damaged file is named as such (SQLite's code may come on the append itself or on its batch).
    return appended.catch((error: unknown) => {
      throw asDamage(this.path, error) ?? error;
    });
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    let from = options.fromRevision ?? 0n;
    let left = options.maxCount ?? Infinity;
    while (left > 0) {
      if (this.closed) throw new EventLogClosedError();
      const page = this.reader.streamPage(stream, from, Math.min(this.pageSize, left));
      for (const event of page) yield event;
      if (page.length < Math.min(this.pageSize, left)) return;
      left -= page.length;
      from = page[page.length - 1]!.revision + 1n;
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let from = options.fromPosition ?? 0n;
    let left = options.maxCount ?? Infinity;
    while (left > 0) {
      if (this.closed) throw new EventLogClosedError();
      const limit = Math.min(this.pageSize, left);
      const page = this.reader.allPage(from, options.filter, limit);
      for (const event of page) yield event;
      if (page.length < limit) return;
      left -= page.length;
      from = page[page.length - 1]!.position + 1n;
    }
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new EventLogClosedError();
    const from = options.fromPosition === 'end' ? this.reader.maxPosition() + 1n : (options.fromPosition ?? 0n);
    const sub: SqliteSubscription = new SqliteSubscription(
      {
        reader: this.reader,
        pageSize: this.pageSize,
        pollMs: this.pollMs,
        detach: () => this.subscriptions.delete(sub),
      },
      from,
      options.filter,
    );
    this.subscriptions.add(sub);
    return sub;
  }

  /** An inline body committed with an append (AppendOptions.bodies), or undefined. */
  readBody(id: string): Buffer | undefined {
    if (this.closed) throw new EventLogClosedError();
    this.bodyStatements ??= this.prepareBodyStatements();
    return this.bodyStatements.read.get(id) as Buffer | undefined;
  }

  /**
   * Deletes an inline body (retention); false if it was not there. Commits what is queued
   * first; with the writer thread this is a write on the reading connection, which waits
   * for the thread's transaction (busy timeout).
   */
  removeBody(id: string): boolean {
    if (this.closed) throw new EventLogClosedError();
    if (this.readonly) throw new EventLogReadonlyError(this.path);
    this.committer?.flush();
    this.bodyStatements ??= this.prepareBodyStatements();
    return this.bodyStatements.remove.run(id).changes > 0;
  }

  private prepareBodyStatements(): { read: Database.Statement; remove: Database.Statement } {
    // A file written before inline bodies existed, opened read-only, has no table and no bodies.
    if (this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bodies'").get() === undefined) {
      const none = { get: () => undefined, run: () => ({ changes: 0 }) } as unknown as Database.Statement;
      return { read: none, remove: none };
    }
    return {
      read: this.db.prepare('SELECT data FROM bodies WHERE id = ?').pluck(),
      remove: this.db.prepare('DELETE FROM bodies WHERE id = ?'),
    };
  }

  /** Deletes streams `prefix…` whose last append is older than `isoTime`; returns how many. */
  async deleteStreamsBefore(prefix: string, isoTime: string): Promise<number> {
    if (this.closed) throw new EventLogClosedError();
    if (this.readonly) throw new EventLogReadonlyError(this.path);
    if (this.thread) return this.thread.deleteStreamsBefore(prefix, isoTime);
    this.committer!.flush();
    return deleteStreamsBefore(this.db, prefix, isoTime);
  }

  /** Commits what is queued, ends the subscriptions, closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.committer?.flush();
    await this.thread?.close();
    await Promise.all([...this.subscriptions].map((sub) => sub.close()));
    this.db.close();
  }
}
