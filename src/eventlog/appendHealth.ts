/**
 * The health of one event log's appends, as the edge's gate and the metrics read it.
 * `appendHealthOf(log)` installs the watch on that log instance once (its `append` is wrapped
 * in place, so the queue and the edge, which hold the same instance, are watched without a
 * change) and returns it. An append that fails for a storage reason (disk full, database
 * unreachable: not a revision conflict, a closed log or a bug) makes the log `failing`; any
 * append that succeeds clears it. While failing, a probe appends the clearing event every
 * `probeInterval`, so the condition clears by itself although the edge refuses new mail.
 * A damaged database file (ERR_EVENTLOG_DAMAGED) does not heal: that failure stays until the
 * daemon is restarted, whatever later appends do (said once, loudly, with what to do).
 * The event (`EventLogRecovered` in `daemon-<node>`) can only be written once appends work
 * again, so it is written then, with the duration; the start is a log line and a metric.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { InvariantError, MailtrailError } from '../errors/mailtrailError.js';
import { silentLogger } from '../logging/logger.js';
import { EventLogClosedError, ExpectedRevisionConflictError, type EventLog } from './eventLog.js';
import { daemonStream } from '../mail/streamNames.js';
import { EventLogDamagedError } from './sqlite/sqliteErrors.js';

export interface AppendFailure {
  /** ISO-8601 time of the first failed append. */
  readonly since: string;
  /** Appends (and probes) that failed since then. */
  readonly failures: number;
  readonly lastError: Error;
  /** The last error said the disk is full (452 4.3.1 rather than 451 4.3.0). */
  readonly full: boolean;
  /** An append found the database file damaged: the failure lasts until a restart. */
  readonly damaged: boolean;
}

export interface AppendHealthOptions {
  /** The node name of `daemon-<node>`. Default: the system's hostname. */
  readonly node?: string;
  readonly logger?: Logger;
  /** Milliseconds between probes while failing. Default 1 s. */
  readonly probeInterval?: number;
  readonly now?: () => number;
}

/** Errors that say nothing about the storage: the append was wrong, not the disk. */
function isStorageFailure(err: unknown): err is Error {
  return (
    err instanceof Error &&
    !(
      err instanceof ExpectedRevisionConflictError ||
      err instanceof EventLogClosedError ||
      err instanceof InvariantError
    ) &&
    !(err instanceof MailtrailError && err.code === 'ERR_EVENTLOG_READONLY')
  );
}

export class AppendHealth {
  private state: AppendFailure | undefined;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  private node: string;
  private logger: Logger;
  private probeInterval: number;
  private readonly now: () => number;
  private readonly raw: EventLog['append'];
  /** Storage failures of appends since start (a counter for metrics). */
  totalFailures = 0;
  /** Times the log went from healthy to failing. */
  episodes = 0;

  constructor(
    private readonly log: EventLog,
    options: AppendHealthOptions = {},
  ) {
    this.node = options.node ?? hostname();
    this.logger = options.logger ?? silentLogger;
    this.probeInterval = options.probeInterval ?? 1000;
    this.now = options.now ?? Date.now;
    this.raw = log.append.bind(log);
    const close = log.close.bind(log);
    log.append = (stream, events, opts) =>
      this.raw(stream, events, opts).then(
        (result) => {
          this.succeeded();
          return result;
        },
        (err: unknown) => {
          if (isStorageFailure(err)) this.failed(err);
          throw err;
        },
      );
    log.close = () => {
      this.stop();
      return close();
    };
  }

  /** Name the node and the logger (the daemon's hostname and pino logger). */
  configure(options: Pick<AppendHealthOptions, 'node' | 'logger' | 'probeInterval'>): this {
    if (options.node) this.node = options.node;
    if (options.logger) this.logger = options.logger;
    if (options.probeInterval) this.probeInterval = options.probeInterval;
    return this;
  }

  /** The current failure, or undefined while appends succeed. */
  get failing(): AppendFailure | undefined {
    return this.state;
  }

  /** Stop probing (the log is closing). */
  stop(): void {
    this.closed = true;
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
  }

  private failed(err: Error): void {
    this.totalFailures += 1;
    const full = err instanceof MailtrailError && err.enhancedStatus === '4.3.1';
    const damage = err instanceof EventLogDamagedError;
    const was = this.state;
    if (was) {
      this.state = {
        ...was,
        failures: was.failures + 1,
        lastError: was.damaged ? was.lastError : err,
        full,
        damaged: was.damaged || damage,
      };
      if (damage && !was.damaged) this.sayDamaged(err);
      return;
    }
    this.episodes += 1;
    this.state = { since: new Date(this.now()).toISOString(), failures: 1, lastError: err, full, damaged: damage };
    if (damage) {
      this.sayDamaged(err);
      return;
    }
    this.logger.error(
      { err, node: this.node },
      'event log appends are failing: the SMTP edge answers 4xx at MAIL and DATA until they succeed again',
    );
    if (!this.closed) {
      this.probe = setInterval(() => this.runProbe(), this.probeInterval);
      this.probe.unref();
    }
  }

  /** The file will not heal: no probe, no recovery, one line that says what to do. */
  private sayDamaged(err: Error): void {
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
    this.logger.fatal(
      { err, node: this.node },
      'the event log is damaged: the SMTP edge refuses mail (451 4.3.0) until the daemon is restarted on a repaired log; stop it, keep a copy of events.sqlite*, run `mailtrail check` (docs/operations.md, "A damaged event log")',
    );
  }

  private succeeded(): void {
    const was = this.state;
    if (!was || was.damaged) return;
    this.clear();
    if (!this.probing) void this.record(was).catch(() => undefined);
  }

  private clear(): void {
    this.state = undefined;
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
  }

  /** While failing: try to write the clearing event; its success is the recovery. */
  private runProbe(): void {
    const was = this.state;
    if (!was || was.damaged || this.probing || this.closed) return;
    this.probing = true;
    this.record(was)
      .then(() => {
        if ((this.state === was || this.state?.since === was.since) && !this.state?.damaged) this.clear();
      })
      .catch((err: unknown) => {
        if (isStorageFailure(err)) this.failed(err);
      })
      .finally(() => {
        this.probing = false;
      });
  }

  /** Append `EventLogRecovered` (through the unwatched append) and log the end of the episode. */
  private async record(was: AppendFailure): Promise<void> {
    const at = this.now();
    const data = {
      node: this.node,
      failingSince: was.since,
      at: new Date(at).toISOString(),
      durationMs: Math.max(0, at - Date.parse(was.since)),
      failedAppends: was.failures,
      lastError: was.lastError.message.slice(0, 500),
      ...(was.lastError instanceof MailtrailError ? { code: was.lastError.code } : {}),
    };
    await this.raw(daemonStream(this.node), [{ type: 'EventLogRecovered', data, metadata: { schema: 1 } }], {
      expectedRevision: 'any',
    });
    this.logger.warn(
      { node: this.node, failingSince: was.since, durationMs: data.durationMs, failedAppends: was.failures },
      'event log appends succeed again: the SMTP edge accepts mail',
    );
  }
}

const watched = new WeakMap<EventLog, AppendHealth>();

/** The health watch of this log instance, installed on first use. */
export function appendHealthOf(log: EventLog, options: AppendHealthOptions = {}): AppendHealth {
  let health = watched.get(log);
  if (!health) {
    health = new AppendHealth(log, options);
    watched.set(log, health);
  }
  return health;
}
