/**
 * PostgresEventLog: the shared EventLog on a PostgreSQL server (pg), for several daemons.
 * Appends are group-committed (PostgresGroupCommit: one round trip and one transaction per
 * batch, an append per subtransaction) with optimistic concurrency on the unique
 * (stream, revision) key, never a lock held across a round trip. Global reads and
 * subscriptions stop below the oldest transaction still in flight, so no event that commits
 * late is skipped. Other nodes' commits wake subscriptions through LISTEN/NOTIFY, with
 * polling as the fallback. The schema is created on first use. Errors: the port's
 * ExpectedRevisionConflictError and EventLogClosedError; EventLogWriteError (451 4.3.0) for
 * an append that could not be committed; EventLogOpenError for a read that cannot reach it;
 * EventLogLockedError when another daemon of the same node name holds its lock ({ node }).
 */
import pg from 'pg';
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
import { describeTarget, readError } from './postgresErrors.js';
import { PostgresGroupCommit, type PostgresAppend, type PostgresGroupCommitStats } from './postgresGroupCommit.js';
import { PostgresReader } from './postgresReader.js';
import { PostgresSubscription } from './postgresSubscription.js';
import { SCHEMA_SQL } from './schema.js';
import { NodeNameLock } from './nodeNameLock.js';
import { deleteStreamsBefore } from './retention.js';

export interface PostgresEventLogOptions {
  /** Connections in the pool (one carries the batches, the rest reads). Default 4. */
  poolSize?: number;
  /** How often an idle subscription looks for new final events. Default 200. */
  pollIntervalMs?: number;
  /** Rows per page for reads and subscriptions. Default 500. */
  pageSize?: number;
  /** How long readAll waits for transactions in flight to end before reading. Default 5000. */
  settleMs?: number;
  /** Connecting gives up after this long. Default 5000. */
  connectTimeoutMs?: number;
  /**
   * This daemon's node name: hold its NodeNameLock, so `ready()` fails with
   * EventLogLockedError while another daemon of that name writes to this database. The
   * daemon sets it; tests and tools do not. Daemons of different names share the database.
   */
  node?: string;
  /** Shown in pg_stat_activity and in EventLogLockedError. Default `mailtrail`. */
  applicationName?: string;
}

export class PostgresEventLog implements EventLog {
  /** The server and database, without credentials: for messages and logs. */
  readonly target: string;
  private readonly pool: pg.Pool;
  private readonly reader: PostgresReader;
  private readonly committer: PostgresGroupCommit;
  private readonly subscriptions = new Set<PostgresSubscription>();
  private readonly pageSize: number;
  private readonly pollMs: number;
  private readonly settleMs: number;
  private schema: Promise<void> | undefined;
  private listener: pg.Client | undefined;
  private readonly writerLock: NodeNameLock | undefined;
  private closed = false;

  constructor(connectionString: string, options: PostgresEventLogOptions = {}) {
    this.target = describeTarget(connectionString);
    this.pageSize = options.pageSize ?? 500;
    this.pollMs = options.pollIntervalMs ?? 200;
    this.settleMs = options.settleMs ?? 5000;
    const client: pg.ClientConfig = {
      connectionString,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      application_name: options.applicationName ?? 'mailtrail',
    };
    this.pool = new pg.Pool({ ...client, max: options.poolSize ?? 4 });
    this.writerLock = options.node ? new NodeNameLock(client, this.target, options.node) : undefined;
    // An idle connection the server dropped (restart, failover): the next query reconnects.
    this.pool.on('error', () => undefined);
    this.reader = new PostgresReader(this.pool);
    this.committer = new PostgresGroupCommit(
      this.pool,
      this.target,
      () => this.readyToWrite(),
      () => this.wakeAll(),
    );
  }

  /** Group-commit counters. */
  get stats(): Readonly<PostgresGroupCommitStats> {
    return this.committer.stats;
  }

  /** Creates the schema once; a failure (server down) is retried by the next call. */
  ready(): Promise<void> {
    this.schema ??= this.createSchema().catch((cause: unknown) => {
      this.schema = undefined;
      throw cause;
    });
    return this.schema;
  }

  private async createSchema(): Promise<void> {
    await this.writerLock?.acquire();
    const client = await this.pool.connect();
    try {
      await client.query(SCHEMA_SQL);
      client.release();
    } catch (cause) {
      // The script failed inside its transaction: that connection is not handed out again.
      client.release(true);
      throw cause;
    }
  }

  /**
   * Appends wait for the subscriptions from 'end' of this log to have taken their snapshot,
   * so an append issued after subscribe() is delivered to them.
   */
  private async readyToWrite(): Promise<void> {
    await this.ready();
    await this.writerLock?.acquire();
    await Promise.all([...this.subscriptions].map((sub) => sub.started));
  }

  append(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new EventLogClosedError());
    if (events.length === 0) return Promise.reject(new InvariantError(`append to ${stream}: no events`));
    if (options.bodies?.length)
      return Promise.reject(
        new InvariantError(`append to ${stream}: this log keeps no bodies (the spool must write files)`),
      );
    let request: PostgresAppend;
    try {
      request = {
        stream,
        expected: options.expectedRevision ?? 'any',
        events: events.map((e) => ({
          type: e.type,
          data: JSON.stringify(e.data),
          metadata: JSON.stringify(e.metadata ?? {}),
        })),
      };
    } catch (cause) {
      return Promise.reject(new InvariantError(`append to ${stream}: event not serialisable: ${String(cause)}`));
    }
    return this.committer.enqueue(request);
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    let from = options.fromRevision ?? 0n;
    let left = options.maxCount ?? Infinity;
    while (left > 0) {
      const limit = Math.min(this.pageSize, left);
      const page = await this.read(() => this.reader.streamPage(stream, from, limit));
      for (const event of page) yield event;
      if (page.length < limit) return;
      left -= page.length;
      from = page[page.length - 1]!.revision + 1n;
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let from = options.fromPosition ?? 0n;
    let left = options.maxCount ?? Infinity;
    await this.read(() => this.reader.settle(this.settleMs, 10));
    while (left > 0) {
      const limit = Math.min(this.pageSize, left);
      const page = await this.read(async () =>
        this.reader.allPage(from, await this.reader.finalBound(), options.filter, limit),
      );
      for (const event of page) yield event;
      if (page.length < limit) return;
      left -= page.length;
      from = page[page.length - 1]!.position + 1n;
    }
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new EventLogClosedError();
    const sub: PostgresSubscription = new PostgresSubscription(
      {
        reader: this.reader,
        ready: () => this.ready(),
        pageSize: this.pageSize,
        pollMs: this.pollMs,
        detach: () => this.subscriptions.delete(sub),
      },
      options.fromPosition ?? 0n,
      options.filter,
    );
    this.subscriptions.add(sub);
    this.listen();
    return sub;
  }

  /** The last event of each of `streams` that has one (retention asks which messages are final). */
  lastEvents(streams: readonly string[]): Promise<RecordedEvent[]> {
    return this.read(() => this.reader.lastEvents(streams));
  }

  /** Deletes the streams named `prefix…` whose last event was recorded before `isoTime`; returns how many. */
  deleteStreamsBefore(prefix: string, isoTime: string): Promise<number> {
    return this.read(() => deleteStreamsBefore(this.pool, prefix, isoTime));
  }

  /** Waits for queued appends, ends the subscriptions, closes the connections. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.flush();
    await Promise.all([...this.subscriptions].map((sub) => sub.close()));
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.writerLock?.release();
    await this.pool.end();
  }

  private async read<T>(query: () => Promise<T>): Promise<T> {
    if (this.closed) throw new EventLogClosedError();
    try {
      await this.ready();
      return await query();
    } catch (cause) {
      if (this.closed) throw new EventLogClosedError();
      throw readError(this.target, cause);
    }
  }

  private wakeAll(): void {
    for (const sub of this.subscriptions) sub.wake();
  }

  /** One LISTEN connection per log while it has subscriptions; polling covers its absence. */
  private listen(): void {
    if (this.listener || this.closed) return;
    const client = new pg.Client(this.pool.options);
    this.listener = client;
    const drop = () => {
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('notification', () => this.wakeAll());
    client
      .connect()
      .then(() => client.query('LISTEN mailtrail_events'))
      .catch(drop);
  }
}
