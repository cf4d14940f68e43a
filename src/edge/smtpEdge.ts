/**
 * SmtpEdge: the SMTP listener in front of the queue, a thin layer over smtp-server (one
 * EdgeSMTPServer per listen address). EHLO offers PIPELINING, 8BITMIME, SMTPUTF8,
 * ENHANCEDSTATUSCODES, SIZE, and STARTTLS only with `tls` (never smtp-server's built-in
 * certificate); AUTH only with `auth`, and nothing demands it. `start()` resolves with the
 * bound addresses (port 0 allowed); `stop()` stops accepting, lets sessions finish for
 * `closeTimeout` ms, then closes them with 421, and waits until their records are written.
 * While the event log's appends fail (eventlog/appendHealth.ts) MAIL and DATA get 4xx.
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { ListenError } from './listenError.js';
import type { Logger } from 'pino';
import type { SMTPServerOptions } from 'smtp-server';
import type { InspectionEvent } from 'xstate';
import type { ListenAddress } from './listenAddress.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { appendHealthOf } from '../eventlog/appendHealth.js';
import { silentLogger } from '../logging/logger.js';
import type { Queue } from '../queue/queue.js';
import { BuiltinRules } from './builtinRules.js';
import { ClientLimits } from './clientLimits.js';
import { EdgeSMTPServer } from './edgeConnection.js';
import { newSessionId } from '../mail/sessionId.js';
import { type AuthOptions, SessionHandlers } from './sessionHandlers.js';
import { SMTP_EDGE_DEFAULTS } from './edgeDefaults.js';
import { SmtpValidators, type SmtpValidatorsClass } from './smtpValidators.js';

/** The third argument: the tutorial's `tls` and `validators`, and any other option. */
export interface SmtpEdgeExtras {
  readonly validators?: SmtpValidatorsClass;
  readonly tls?: SmtpEdgeOptions['tls'];
  readonly options?: Partial<Omit<SmtpEdgeOptions, 'listen' | 'log'>>;
}

export interface SmtpEdgeOptions {
  readonly listen: ListenAddress | readonly ListenAddress[];
  /** Banner, EHLO reply and the 421 lines. */
  readonly hostname: string;
  /** This daemon's node name (config `node`): its `daemon-<node>` stream of log-health events. Default: hostname. */
  readonly node?: string;
  /** RCPT is accepted only for these domains (omit: every domain; then refuse relaying yourself). */
  readonly domains?: readonly string[];
  /** Known users; others at hosted domains get 550 5.1.1 (omit: every local part is accepted). */
  readonly mailboxes?: readonly string[];
  /** Bytes; advertised as SIZE. Default 25 MiB. */
  readonly maxMessageSize?: number;
  /** Default 1000. */
  readonly maxRecipients?: number;
  /** Per listen address. Default 100. */
  readonly maxClients?: number;
  /** Milliseconds before the greeting, to catch clients that talk too soon. Default 100. */
  readonly greetDelay?: number;
  /** Milliseconds a client may stay silent. Default 5 minutes. */
  readonly idleTimeout?: number;
  /** Milliseconds for one whole command line, however slowly it trickles in. Default 5 minutes. */
  readonly commandTimeout?: number;
  /** Milliseconds for the whole DATA phase (354 to the final dot). Default 10 minutes. */
  readonly dataTimeout?: number;
  /** Concurrent connections per client address (smtpd_client_connection_count_limit); 0: none. Default 50. */
  readonly clientConnectionLimit?: number;
  /** Connections per client address per `rateTimeUnit` (smtpd_client_connection_rate_limit); 0: none (default). */
  readonly clientConnectionRateLimit?: number;
  /** Milliseconds of the rate window (anvil_rate_time_unit). Default 60 s. */
  readonly rateTimeUnit?: number;
  /** Client addresses and CIDR networks exempt from the per-client limits. Default none. */
  readonly clientLimitExceptions?: readonly string[];
  /** A message with this many `Received:` headers or more is refused, 554 5.4.6 (hopcount_limit). Default 50. */
  readonly hopCountLimit?: number;
  /** Error replies before the session is closed with 421 4.7.0. Default 20. */
  readonly hardErrorLimit?: number;
  /** Longest command line in bytes. Default 4096. */
  readonly maxLineLength?: number;
  /** Milliseconds stop() lets sessions finish before closing them with 421. Default 10 s. */
  readonly closeTimeout?: number;
  /** PEM text or Buffer, or the path of a PEM file (read at start()). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer; readonly implicit?: boolean };
  readonly auth?: AuthOptions;
  /** Reverse DNS lookup of clients (default true). */
  readonly reverseLookup?: boolean;
  readonly logger?: Logger;
  /** Hand smtp-server the logger too (its C:/S: protocol lines at debug level). Default false. */
  readonly protocolLog?: boolean;
  readonly log: EventLog;
  readonly now?: () => number;
  /** An inspection observer for every session actor (`run --inspect`); actors are then named `session-<id>`. */
  readonly inspect?: (event: InspectionEvent) => void;
}

export { SMTP_EDGE_DEFAULTS };

/** PEM content as given, or read from the file a string names (the daemon's config has paths). */
function pem(value: string | Buffer): string | Buffer {
  return typeof value === 'string' && !value.includes('-----BEGIN') ? readFileSync(value) : value;
}

export class SmtpEdge {
  private readonly options: SmtpEdgeOptions;
  private readonly handlers: SessionHandlers;
  /** The edge's clock (session ids, limits, timestamps). */
  private readonly now: () => number;
  private readonly logger: Logger;
  private servers: EdgeSMTPServer[] = [];

  /**
   * `new SmtpEdge({ host, port }, queue, { tls, validators })` as the tutorial reads (hostname
   * from the system, sessions recorded in the queue's log), or every option named.
   */
  constructor(options: SmtpEdgeOptions | ListenAddress, queue: Queue, extra: SmtpEdgeExtras = {}) {
    options =
      'listen' in options
        ? options
        : {
            listen: options,
            hostname: hostname(),
            log: queue.log,
            ...(extra.tls ? { tls: extra.tls } : {}),
            ...extra.options,
          };
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    const Validators = extra.validators ?? SmtpValidators;
    const now = options.now ?? Date.now;
    this.now = now;
    const limits = new ClientLimits({
      connectionLimit: options.clientConnectionLimit ?? SMTP_EDGE_DEFAULTS.clientConnectionLimit,
      rateLimit: options.clientConnectionRateLimit ?? SMTP_EDGE_DEFAULTS.clientConnectionRateLimit,
      rateTimeUnit: options.rateTimeUnit ?? SMTP_EDGE_DEFAULTS.rateTimeUnit,
      exceptions: options.clientLimitExceptions ?? [],
      now,
    });
    // The health gate: while the queue log's appends fail, MAIL and DATA get 4xx (clears by itself).
    const health = appendHealthOf(queue.log).configure({ node: options.node ?? options.hostname, logger: this.logger });
    this.handlers = new SessionHandlers({
      logFailing: () => health.failing,
      hostname: options.hostname,
      log: options.log,
      queue,
      rules: new BuiltinRules({
        ...(options.domains ? { domains: options.domains } : {}),
        ...(options.mailboxes ? { mailboxes: options.mailboxes } : {}),
      }),
      validators: () => new Validators(),
      logger: this.logger,
      now,
      limits,
      hopCountLimit: options.hopCountLimit ?? SMTP_EDGE_DEFAULTS.hopCountLimit,
      maxMessageSize: options.maxMessageSize ?? SMTP_EDGE_DEFAULTS.maxMessageSize,
      maxRecipients: options.maxRecipients ?? SMTP_EDGE_DEFAULTS.maxRecipients,
      ...(options.auth ? { auth: options.auth } : {}),
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
  }

  /** Open connections on every listener. */
  get connections(): number {
    return this.servers.reduce((n, s) => n + s.connections.size, 0);
  }

  /** Reload the accepted domains and known mailboxes without a restart (SIGHUP). */
  updateRecipients(domains: readonly string[] | undefined, mailboxes: readonly string[] | undefined): void {
    this.handlers.replaceRules(
      new BuiltinRules({ ...(domains ? { domains } : {}), ...(mailboxes ? { mailboxes } : {}) }),
    );
  }

  async start(): Promise<ListenAddress[]> {
    const list = Array.isArray(this.options.listen) ? this.options.listen : [this.options.listen as ListenAddress];
    const bound: ListenAddress[] = [];
    try {
      for (const address of list) bound.push(await this.listen(address));
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.logger.debug({ listen: bound.map((a) => `${a.host}:${a.port}`) }, 'smtp edge listening');
    return bound;
  }

  async stop(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    // smtp-server has closed its connections (421 after closeTimeout); their close hooks may
    // still be on their way: give them as long again, never a second, hard-coded grace.
    const deadline = Date.now() + (this.options.closeTimeout ?? SMTP_EDGE_DEFAULTS.closeTimeout);
    while (this.handlers.open > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.handlers.settled();
  }

  private listen(address: ListenAddress): Promise<ListenAddress> {
    const server = new EdgeSMTPServer(this.serverOptions(), {
      hardErrorLimit: this.options.hardErrorLimit ?? SMTP_EDGE_DEFAULTS.hardErrorLimit,
      greetDelay: this.options.greetDelay ?? SMTP_EDGE_DEFAULTS.greetDelay,
      commandTimeout: this.options.commandTimeout ?? SMTP_EDGE_DEFAULTS.commandTimeout,
      dataTimeout: this.options.dataTimeout ?? SMTP_EDGE_DEFAULTS.dataTimeout,
      greeting: (session) => this.handlers.greeting(session),
      sessionId: () => newSessionId(this.now()),
      onReply: (session, code, enhanced, text) => this.handlers.onReply(session, code, enhanced, text),
    });
    server.on('error', (err: Error) => this.logger.warn({ err }, 'smtp connection error'));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new ListenError(address.host, address.port, err));
      server.server.once('error', onError);
      server.listen(address.port, address.host, () => {
        server.server.off('error', onError);
        const a = server.server.address();
        resolve(a && typeof a === 'object' ? { host: a.address, port: a.port } : address);
      });
    });
  }

  private serverOptions(): SMTPServerOptions {
    const o = this.options;
    const h = this.handlers;
    const tls = o.tls;
    return {
      name: o.hostname,
      size: o.maxMessageSize ?? SMTP_EDGE_DEFAULTS.maxMessageSize,
      authOptional: true,
      ...(o.auth
        ? { authMethods: [...(o.auth.methods ?? ['PLAIN', 'LOGIN'])], allowInsecureAuth: o.auth.allowInsecure ?? false }
        : {}),
      disabledCommands: [
        ...(tls && !tls.implicit ? [] : ['STARTTLS']),
        ...(o.auth ? [] : ['AUTH']),
        'XCLIENT',
        'XFORWARD',
        'WIZ',
        'SHELL',
        'KILL',
      ],
      hideSTARTTLS: !tls || Boolean(tls.implicit),
      hideENHANCEDSTATUSCODES: false,
      hideDSN: true,
      hideREQUIRETLS: true,
      ...(tls ? { key: pem(tls.key), cert: pem(tls.cert), secure: Boolean(tls.implicit) } : {}),
      maxClients: o.maxClients ?? SMTP_EDGE_DEFAULTS.maxClients,
      socketTimeout: o.idleTimeout ?? SMTP_EDGE_DEFAULTS.idleTimeout,
      closeTimeout: o.closeTimeout ?? SMTP_EDGE_DEFAULTS.closeTimeout,
      maxCommandLength: o.maxLineLength ?? SMTP_EDGE_DEFAULTS.maxLineLength,
      disableReverseLookup: o.reverseLookup === false,
      logger: o.protocolLog ? this.logger.child({ component: 'smtp-server' }) : false,
      onConnect: (session, cb) => h.onConnect(session, cb),
      onSecure: (socket, session, cb) => h.onSecure(socket, session, cb),
      onAuth: (auth, session, cb) => h.onAuth(auth, session, cb),
      onMailFrom: (address, session, cb) => h.onMailFrom(address, session, cb),
      onRcptTo: (address, session, cb) => h.onRcptTo(address, session, cb),
      onData: (stream, session, cb) => h.onData(stream, session, cb),
      onClose: (session) => h.onClose(session),
    };
  }
}
