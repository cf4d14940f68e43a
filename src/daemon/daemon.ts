/**
 * The running MDA, wired as the tutorial wires it: relay → queue on a storage → policies →
 * SMTP edge, plus the control socket and housekeeping. `start()` recovers the queue from the
 * log before the edge listens (from stored snapshots, in the background, with sqlite) and
 * sweeps the spool for orphans after; `stop()` stops accepting, lets attempts in flight finish (or
 * abandons them after a grace period: the log decides what happens at the next start), and
 * closes the log. `reload()` applies what can change without a restart (domains, mailboxes).
 * With `inspect`, the inspector relay (src/inspect) starts first and every actor reports to it.
 * Before anything else, `create()` locks the data directory (and the sqlite log's, if elsewhere):
 * a second daemon fails there, before recovery, naming the pid that holds it. A start that
 * fails undoes what it started (listeners, log, locks), so the process can exit.
 */
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { createBounceSender } from '../bounce/bounceSender.js';
import { ControlServer } from '../control/index.js';
import { SmtpEdge } from '../edge/index.js';
import type { Logger } from '../logging/logger.js';
import { Queue, type EnqueueInput } from '../queue/queue.js';
import { SharedQueueView } from '../queue/sharedQueueView.js';
import { messageStream } from '../mail/streamNames.js';
import { requeueCandidates, requeueSpooled } from '../queue/spoolRecovery.js';
import type { EventLog } from '../eventlog/eventLog.js';
import type { Router } from '../queue/router.js';
import { inlineBodyStore } from './inlineBodyStore.js';
import { recordsAnyMessage } from '../readmodel/messagesProjection.js';
import { Spool } from '../spool/spool.js';
import { PostgresBodyStore } from '../spool/postgresBodyStore.js';
import { type BuiltLog, buildEventLog, buildPolicies, buildRouter } from './components.js';
import { edgeAuth } from './edgeAuth.js';
import { scheduleMaintenance } from './maintenance.js';
import { makeDirectory } from '../storage/makeDirectory.js';
import { postgresRetention } from './postgresRetention.js';
import { sqliteRetention } from './sqliteRetention.js';
import { refuseEmptyLog, refuseMissingSqliteLog } from './lostLogGuard.js';
import { DaemonInspector, type InspectOptions } from '../inspect/daemonInspector.js';
import { lockDirectories, type DirectoryLock } from '../storage/directoryLock.js';
import { isOwnDirectory, ownNames, storageFiles, type OwnedFiles } from '../storage/storageFiles.js';

export interface DaemonStatus {
  readonly listening: readonly { host: string; port: number }[];
  readonly recovered: number;
  /** With `inspect`: the page to open (`pageUrl`) and the relay's port. */
  readonly inspector?: { readonly pageUrl: string; readonly port: number };
}

export interface DaemonOptions {
  /** Serve an inspector relay on 127.0.0.1 and report every actor to it (`run --inspect`). */
  readonly inspect?: InspectOptions;
}

/** What the daemon holds beyond its parts: the directory locks, and what it made as it started. */
interface Holdings {
  readonly locks: DirectoryLock[];
  readonly dataDirIsOurs: boolean;
  /** Directories made at start outside the storage (Maildir roots and their parents). */
  readonly created: readonly string[];
}

/** Files of its own the daemon keeps in the data directory besides the storage's. */
const DAEMON_FILES = ['control.sock', 'inspector.json'];

/** `dir` and the parents mkdirSync(recursive) made for it, from `first` (what it returned) down. */
function madeChain(first: string | undefined, dir: string): string[] {
  if (first === undefined) return [];
  const chain: string[] = [];
  for (let p = dir; p !== dirname(first) && p !== dirname(p); p = dirname(p)) chain.unshift(p);
  return chain;
}

export class Daemon {
  private stopMaintenance: (() => void) | undefined;
  /** Who stops the process when the daemon cannot go on (runCommand: exit 75). */
  private fatalListener: ((err: Error) => void) | undefined;
  private fatalError: Error | undefined;
  private stopping = false;

  /** Called once when the daemon must stop rather than lose track (a refused outcome): exit 75. */
  onFatal(listener: (err: Error) => void): void {
    this.fatalListener = listener;
    if (this.fatalError) listener(this.fatalError);
  }

  private fatal(err: Error): void {
    if (this.fatalError) return;
    this.fatalError = err;
    this.fatalListener?.(err);
  }

  private constructor(
    readonly config: Config,
    private readonly logger: Logger,
    private readonly built: BuiltLog,
    readonly queue: Queue,
    readonly edge: SmtpEdge,
    private readonly control: ControlServer,
    private readonly spool: Spool,
    private readonly router: Router,
    private readonly holdings: Holdings,
    private readonly inspector?: DaemonInspector,
  ) {}

  static async create(config: Config, logger: Logger, options: DaemonOptions = {}): Promise<Daemon> {
    // The data directory, the sqlite log's directory and a Maildir root are made at start; a
    // root that vanishes later (an unmounted disk) defers deliveries instead of being re-made.
    const logPath = config.eventLog.type === 'sqlite' ? config.eventLog.path : undefined;
    const dataDirIsOurs = isOwnDirectory(config.dataDir, ownNames(config.dataDir, logPath, DAEMON_FILES));
    // Parents as `mkdir -p` makes them (searchable, like /var/lib); the directory itself owner-only.
    const owned = { mode: 0o700, parentMode: 0o755 };
    makeDirectory(config.dataDir, { key: 'dataDir', file: config.file }, owned);
    const logDir = logPath && resolve(dirname(logPath)) !== resolve(config.dataDir) ? dirname(logPath) : undefined;
    // Made here: handed to the mail user at the drop, as a Maildir root made at start is.
    const logDirMade =
      logDir &&
      makeDirectory(logDir, { key: 'the directory of eventLog.path', file: config.file }, owned) !== undefined;
    const locks = lockDirectories([config.dataDir, ...(logPath ? [dirname(logPath)] : [])]);
    let built: BuiltLog | undefined;
    let spool: Spool | undefined;
    try {
      const created: string[] = logDirMade ? [logDir] : [];
      for (const [key, relay] of [
        ['relay', config.relay] as const,
        ...Object.entries(config.routes).map(([domain, r]) => [`routes.${domain}`, r] as const),
      ]) {
        if (relay.type === 'maildir')
          created.push(
            ...madeChain(
              makeDirectory(relay.root, { key: `${key}.root`, file: config.file }, { mode: 0o700 }),
              relay.root,
            ),
          );
      }
      const files: Spool =
        config.eventLog.type === 'postgres'
          ? // Bodies in the shared database: every node can read every body (docs/scaling.md).
            new PostgresBodyStore(join(config.dataDir, 'spool'), config.eventLog.connectionString, {
              applicationName: `mailtrail ${config.node} bodies`,
            })
          : new Spool(join(config.dataDir, 'spool'));
      spool = files;
      // Never start on a lost log while bodies are spooled: every one would look unknown.
      if (config.eventLog.type === 'sqlite') await refuseMissingSqliteLog(config.eventLog.path, files, config.file);
      built = await buildEventLog(config);
      await refuseEmptyLog(
        built.log,
        config.eventLog.type === 'sqlite' ? config.eventLog.path : config.eventLog.type,
        files,
        config.file,
        built.sqlite ? () => recordsAnyMessage(built!.sqlite!.database) : undefined,
      );
      // Small bodies ride in the log's transaction (sqlite): the spool reads them back from it.
      const inline = inlineBodyStore(config.spool.inlineThreshold, built.sqlite);
      spool = inline ? new Spool(join(config.dataDir, 'spool'), { inline }) : files;
      return Daemon.assemble(config, logger, options, built, spool, { locks, dataDirIsOurs, created });
    } catch (err) {
      await built?.log.close().catch(() => undefined);
      if (spool instanceof PostgresBodyStore) await spool.close().catch(() => undefined);
      for (const lock of locks) lock.release();
      throw err;
    }
  }

  private static assemble(
    config: Config,
    logger: Logger,
    options: DaemonOptions,
    built: BuiltLog,
    spool: Spool,
    holdings: Holdings,
  ): Daemon {
    const router = buildRouter(config);
    const policies = buildPolicies(config, logger);
    const inspector = options.inspect
      ? new DaemonInspector({ ...options.inspect, dataDir: config.dataDir, logger })
      : undefined;
    const inspect = inspector ? { inspect: inspector.inspect } : {};
    // Several daemons on one log: claims, and the due work from the shared log (docs/scaling.md).
    const shared =
      config.eventLog.type === 'sqlite'
        ? {}
        : {
            shared: {
              node: config.node,
              leaseMs: config.queue.claimLease,
              view: new SharedQueueView({ log: built.log, logger }),
            },
          };
    const queue = new Queue({
      ...shared,
      log: built.log,
      spool,
      router,
      hostname: config.hostname,
      retry: config.queue.retry,
      concurrency: config.queue.concurrency,
      maxMessageSize: config.smtp.maxMessageSize,
      logger,
      ...(built.recovery ? { recovery: built.recovery } : {}),
      onBounce: createBounceSender({ hostname: config.hostname, logger }),
      onLogLost: (err) => daemon?.fatal(err),
      ...inspect,
    });
    for (const p of policies) queue.addPrequeuePolicy(p);
    const edge = new SmtpEdge(
      {
        listen: [...config.smtp.listen],
        hostname: config.hostname,
        node: config.node,
        domains: [...config.smtp.domains],
        ...(config.smtp.mailboxes ? { mailboxes: [...config.smtp.mailboxes] } : {}),
        maxMessageSize: config.smtp.maxMessageSize,
        maxRecipients: config.smtp.maxRecipients,
        maxClients: config.smtp.maxClients,
        idleTimeout: config.smtp.idleTimeout,
        commandTimeout: config.smtp.commandTimeout,
        dataTimeout: config.smtp.dataTimeout,
        clientConnectionLimit: config.smtp.clientConnectionLimit,
        clientConnectionRateLimit: config.smtp.clientConnectionRateLimit,
        rateTimeUnit: config.smtp.rateTimeUnit,
        clientLimitExceptions: [...config.smtp.clientLimitExceptions],
        hopCountLimit: config.smtp.hopCountLimit,
        greetDelay: config.smtp.greetDelay,
        reverseLookup: config.smtp.reverseLookup,
        hardErrorLimit: config.smtp.hardErrorLimit,
        ...(config.smtp.tls ? { tls: config.smtp.tls } : {}),
        ...(config.smtp.auth ? { auth: edgeAuth(config.smtp.auth) } : {}),
        logger,
        log: built.log,
        ...inspect,
      },
      queue,
    );
    const requeuePorts = {
      spool,
      enqueue: (input: EnqueueInput) => queue.enqueue(input),
      isKnown: (id: string) => hasStream(built.log, messageStream(id)),
    };
    const control = new ControlServer({
      path: join(config.dataDir, 'control.sock'),
      queue,
      logger,
      requeueQuarantined: async (id, force) => {
        const results = [];
        for (const one of await requeueCandidates(requeuePorts, 'quarantine', id ? [id] : []))
          results.push(await requeueSpooled(requeuePorts, one, 'quarantine', force));
        return results;
      },
    });
    const daemon: Daemon = new Daemon(config, logger, built, queue, edge, control, spool, router, holdings, inspector);
    // A dead writer thread fails every append from then on: stop (exit 75) and let the restart replay.
    built.sqlite?.onWriterLost((err) => daemon.fatal(err));
    return daemon;
  }

  /**
   * What a start as root hands to the mail user before the drop, and what that user must be
   * able to write after it: the storage's files, the control socket's directory, the Maildir
   * roots (those made at start are handed over; existing ones are only checked).
   */
  ownedFiles(): OwnedFiles {
    const logPath = this.config.eventLog.type === 'sqlite' ? this.config.eventLog.path : undefined;
    const storage = storageFiles({
      dir: this.config.dataDir,
      dirIsOurs: this.holdings.dataDirIsOurs,
      ...(logPath ? { logPath } : {}),
      spoolRoot: this.spool.root,
      extra: DAEMON_FILES,
    });
    const roots = [this.config.relay, ...Object.values(this.config.routes)].flatMap((r) =>
      r.type === 'maildir' ? [r.root] : [],
    );
    return { handOver: [...storage.handOver, ...this.holdings.created], writable: [...storage.writable, ...roots] };
  }

  /**
   * Recover the queue (work held), bind the edge, run `afterBind` (the privilege drop), then
   * create the control socket and start the recovered work — as the unprivileged user.
   */
  async start(afterBind?: () => void): Promise<DaemonStatus> {
    try {
      return await this.startParts(afterBind);
    } catch (err) {
      // Undo what started, so that nothing keeps the process alive after a failed start.
      await this.stop(0).catch((stopErr: unknown) =>
        this.logger.error({ err: stopErr }, 'cleaning up after a failed start'),
      );
      throw err;
    }
  }

  private async startParts(afterBind?: () => void): Promise<DaemonStatus> {
    // The relay first: a port in use stops the start before anything else runs.
    const relay = await this.inspector?.start();
    // The spool's orphan sweep waits until the edge listens (it reads every body's name).
    const { recovered, background } = await this.queue.start({ hold: true, sweep: 'later' });
    // Said once the caller has logged where the daemon listens (its first line): in the
    // background (sqlite), the queue logs `recovered N live messages` when every one is scheduled.
    const announce = () => {
      if (background && recovered)
        this.logger.info(
          { live: recovered },
          `recovering ${recovered} live messages in the background, from their stored snapshots`,
        );
      else if (recovered) this.logger.info({ recovered }, `recovered ${recovered} live messages from the log`);
    };
    const listening = await this.edge.start();
    afterBind?.();
    await this.control.start();
    // The recovered work and the sweep follow that line too (a small queue recovers at once).
    setImmediate(() => {
      announce();
      if (this.stopping) return;
      this.queue.resumeWork();
      this.sweepSpool();
    });
    const retention = this.built.sqlite
      ? sqliteRetention(this.built.sqlite)
      : this.built.postgres && postgresRetention(this.built.postgres, this.spool);
    if (retention) {
      this.stopMaintenance = scheduleMaintenance({
        store: retention,
        spool: this.spool,
        bodyRetention: this.config.queue.bodyRetention,
        sessionRetention: this.config.queue.sessionRetention,
        logger: this.logger,
      });
    }
    return { listening, recovered, ...(relay ? { inspector: { pageUrl: relay.pageUrl, port: relay.port } } : {}) };
  }

  /**
   * Quarantine the spooled bodies the log does not know, beside the edge (bodies stored since
   * start are never taken); a warning with the count once done. Stopping ends it early.
   */
  private sweepSpool(): void {
    const started = performance.now();
    this.queue.sweepSpool().then(
      (quarantined) => {
        const ms = Math.round(performance.now() - started);
        const ended = this.stopping ? 'stopped with the daemon' : 'every body is known to the log';
        if (quarantined.length === 0) return this.logger.debug({ ms }, `spool sweep: nothing quarantined, ${ended}`);
        this.logger.warn(
          { quarantined: quarantined.length, ids: quarantined.slice(0, 100), dir: this.spool.quarantineDir },
          `quarantined ${quarantined.length} spooled bodies the log does not know (a crash before MessageReceived was committed, or a damaged log); ` +
            `each keeps its envelope: mailtrail check lists them, mailtrail requeue --quarantined puts them back in the queue`,
        );
      },
      (err: unknown) =>
        this.logger.error(
          { err, dir: this.spool.bodiesDir },
          'the spool sweep stopped: bodies it did not reach stay in the spool; the next start sweeps again',
        ),
    );
  }

  /**
   * SIGHUP: apply what can change while running — the accepted domains and mailboxes — and
   * return the top-level keys that differ but need a restart (listen addresses, relays, …).
   */
  reload(next: Config): string[] {
    this.edge.updateRecipients(next.smtp.domains, next.smtp.mailboxes);
    this.router.setLocalDomains(next.smtp.domains);
    this.router.setMailboxes(next.smtp.mailboxes);
    const { domains: _d, mailboxes: _m, ...smtpNow } = this.config.smtp;
    const { domains: _nd, mailboxes: _nm, ...smtpNext } = next.smtp;
    const changed: string[] = (
      ['relay', 'routes', 'outbound', 'policies', 'queue', 'eventLog', 'dataDir', 'hostname', 'node'] as const
    ).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(this.config[k]));
    if (JSON.stringify(smtpNow) !== JSON.stringify(smtpNext)) changed.unshift('smtp');
    return changed;
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.stopMaintenance?.();
    try {
      await this.edge.stop();
      await this.queue.stop(graceMs);
      await this.control.stop();
      await this.inspector?.stop();
      await this.built.log.close();
      if (this.spool instanceof PostgresBodyStore) await this.spool.close();
    } finally {
      for (const lock of this.holdings.locks.splice(0)) lock.release();
    }
  }
}

/** Does the log hold this stream? (one event read at most) */
async function hasStream(log: EventLog, stream: string): Promise<boolean> {
  for await (const _ of log.readStream(stream, { maxCount: 1 })) return true;
  return false;
}
