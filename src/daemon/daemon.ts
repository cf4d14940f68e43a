/**
 * The running MDA, wired as the tutorial wires it: relay → queue on a storage → policies →
 * SMTP edge, plus the control socket and housekeeping. `start()` recovers the queue from the
 * log before the edge listens; `stop()` stops accepting, lets attempts in flight finish (or
 * abandons them after a grace period: the log decides what happens at the next start), and
 * closes the log. `reload()` applies what can change without a restart (domains, mailboxes).
 * With `inspect`, the inspector relay (src/inspect) starts first and every actor reports to it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { createBounceSender } from '../bounce/bounceSender.js';
import { ControlServer } from '../control/index.js';
import { SmtpEdge } from '../edge/index.js';
import type { Logger } from '../log/logger.js';
import { Queue } from '../queue/queue.js';
import type { Router } from '../queue/router.js';
import { Spool } from '../spool/spool.js';
import { type BuiltLog, buildEventLog, buildPolicies, buildRouter } from './components.js';
import { scheduleMaintenance } from './maintenance.js';
import { DaemonInspector, type InspectOptions } from '../inspect/daemonInspector.js';

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

export class Daemon {
  private stopMaintenance: (() => void) | undefined;

  private constructor(
    readonly config: Config,
    private readonly logger: Logger,
    private readonly built: BuiltLog,
    readonly queue: Queue,
    readonly edge: SmtpEdge,
    private readonly control: ControlServer,
    private readonly spool: Spool,
    private readonly router: Router,
    private readonly inspector?: DaemonInspector,
  ) {}

  static async create(config: Config, logger: Logger, options: DaemonOptions = {}): Promise<Daemon> {
    // The data directory and a Maildir root are made at start; a root that vanishes later
    // (an unmounted disk) defers deliveries instead of being re-made.
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    for (const relay of [config.relay, ...Object.values(config.routes)]) {
      if (relay.type === 'maildir') mkdirSync(relay.root, { recursive: true, mode: 0o700 });
    }
    const router = buildRouter(config);
    const policies = buildPolicies(config, logger);
    const built = await buildEventLog(config);
    const inspector = options.inspect ? new DaemonInspector({ ...options.inspect, dataDir: config.dataDir, logger }) : undefined;
    const inspect = inspector ? { inspect: inspector.inspect } : {};
    const spool = new Spool(join(config.dataDir, 'spool'));
    const queue = new Queue({
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
      ...inspect,
    });
    for (const p of policies) queue.addPrequeuePolicy(p);
    const edge = new SmtpEdge(
      {
        listen: [...config.smtp.listen],
        hostname: config.hostname,
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
        hardErrorLimit: config.smtp.hardErrorLimit,
        ...(config.smtp.tls ? { tls: config.smtp.tls } : {}),
        logger,
        log: built.log,
        ...inspect,
      },
      queue,
    );
    const control = new ControlServer({ path: join(config.dataDir, 'control.sock'), queue, logger });
    return new Daemon(config, logger, built, queue, edge, control, spool, router, inspector);
  }

  /**
   * Recover the queue (work held), bind the edge, run `afterBind` (the privilege drop), then
   * create the control socket and start the recovered work — as the unprivileged user.
   */
  async start(afterBind?: () => void): Promise<DaemonStatus> {
    // The relay first: a port in use stops the start before anything else runs.
    const relay = await this.inspector?.start();
    const { recovered, orphans, bounces } = await this.queue.start({ hold: true });
    if (recovered || orphans || bounces) this.logger.info({ recovered, orphans, bounces }, `recovered ${recovered} live messages from the log`);
    const listening = await this.edge.start();
    afterBind?.();
    await this.control.start();
    this.queue.resumeWork();
    if (this.built.sqlite) {
      this.stopMaintenance = scheduleMaintenance({
        sqlite: this.built.sqlite,
        spool: this.spool,
        bodyRetention: this.config.queue.bodyRetention,
        sessionRetention: this.config.queue.sessionRetention,
        logger: this.logger,
      });
    }
    return { listening, recovered, ...(relay ? { inspector: { pageUrl: relay.pageUrl, port: relay.port } } : {}) };
  }

  /**
   * SIGHUP: apply what can change while running — the accepted domains and mailboxes — and
   * return the top-level keys that differ but need a restart (listen addresses, relays, …).
   */
  reload(next: Config): string[] {
    this.edge.updateRecipients(next.smtp.domains, next.smtp.mailboxes);
    this.router.setLocalDomains(next.smtp.domains);
    const { domains: _d, mailboxes: _m, ...smtpNow } = this.config.smtp;
    const { domains: _nd, mailboxes: _nm, ...smtpNext } = next.smtp;
    const changed: string[] = (['relay', 'routes', 'policies', 'queue', 'eventLog', 'dataDir', 'hostname'] as const).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(this.config[k]));
    if (JSON.stringify(smtpNow) !== JSON.stringify(smtpNext)) changed.unshift('smtp');
    return changed;
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopMaintenance?.();
    await this.edge.stop();
    await this.queue.stop(graceMs);
    await this.control.stop();
    await this.inspector?.stop();
    await this.built.log.close();
  }
}
