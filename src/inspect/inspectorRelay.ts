/**
 * The inspector relay, listening on 127.0.0.1 only (never configurable): `GET /` serves the
 * bridge page; WebSocket `/report?token=…` is a reporter (the daemon, or `mailtrail inspect`),
 * the only kind of client whose messages are kept and broadcast; WebSocket `/` is a viewer:
 * it receives the retained registrations and snapshots at once, then every report, and
 * anything it sends is ignored. A browser viewer must come from the relay's own page (Origin
 * check); a viewer that cannot keep up is dropped. Port 0 picks a free port; in use → error.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import { silentLogger } from '../logging/logger.js';
import { bridgePage, bridgePolicy } from './bridgePage.js';
import { DEFAULT_RETENTION, RetainedActors, type RetentionLimits, parseReport } from './retainedActors.js';

export const RELAY_HOST = '127.0.0.1';
export const DEFAULT_INSPECT_PORT = 8080;
/** A viewer with more than this many bytes unsent is disconnected. */
const MAX_VIEWER_BACKLOG = 16 * 1024 * 1024;

export interface InspectorRelayOptions {
  /** Default 8080; 0 for a free port. */
  readonly port?: number;
  /** Secret a reporter presents; default 32 random bytes (hex). */
  readonly token?: string;
  readonly retention?: Partial<RetentionLimits>;
  readonly logger?: Logger;
}

export interface RelayAddress {
  readonly port: number;
  /** What a user opens: the bridge page in front of Stately's hosted inspector. */
  readonly pageUrl: string;
  /** Where viewers connect (the bridge page, tests). */
  readonly viewerUrl: string;
  /** Where reporters connect; contains the token. */
  readonly reporterUrl: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export class InspectorRelay {
  readonly token: string;
  readonly retained: RetainedActors;
  private readonly options: InspectorRelayOptions;
  private readonly logger: Logger;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly viewerSockets = new Set<WebSocket>();
  private readonly reporterSockets = new Set<WebSocket>();
  private nextReporter = 1;
  private bound: RelayAddress | undefined;
  private readonly viewerWaiters: (() => void)[] = [];

  constructor(options: InspectorRelayOptions = {}) {
    this.options = options;
    this.token = options.token ?? randomBytes(32).toString('hex');
    this.logger = options.logger ?? silentLogger;
    this.retained = new RetainedActors({ ...DEFAULT_RETENTION, ...options.retention });
  }

  get address(): RelayAddress | undefined {
    return this.bound;
  }

  get viewers(): number {
    return this.viewerSockets.size;
  }

  get reporters(): number {
    return this.reporterSockets.size;
  }

  /** Resolves when at least one viewer is connected. */
  waitForViewer(): Promise<void> {
    if (this.viewerSockets.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.viewerWaiters.push(resolve));
  }

  async start(): Promise<RelayAddress> {
    if (this.bound) return this.bound;
    const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
    const server = createServer((req, res) => {
      const port = this.bound?.port ?? 0;
      if (!this.isOwnHost(req.headers.host, port)) {
        res.writeHead(403).end();
        return;
      }
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': bridgePolicy(port),
        'cache-control': 'no-store',
      });
      res.end(bridgePage());
    });
    server.on('upgrade', (req, socket, head) => this.upgrade(wss, req, socket, head));
    const requested = this.options.port ?? DEFAULT_INSPECT_PORT;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`inspector: port ${requested} on ${RELAY_HOST} is in use (choose another port)`)
            : err,
        );
      });
      server.listen(requested, RELAY_HOST, () => resolve());
    });
    server.on('error', (err) => this.logger.error({ err }, 'inspector relay error'));
    const { port } = server.address() as { port: number };
    this.server = server;
    this.wss = wss;
    this.bound = {
      port,
      pageUrl: `http://${RELAY_HOST}:${port}/`,
      viewerUrl: `ws://${RELAY_HOST}:${port}/`,
      reporterUrl: `ws://${RELAY_HOST}:${port}/report?token=${this.token}`,
    };
    this.logger.debug({ port }, 'inspector relay listening');
    return this.bound;
  }

  async stop(): Promise<void> {
    const { server, wss } = this;
    if (!server || !wss) return;
    this.server = undefined;
    this.wss = undefined;
    this.bound = undefined;
    for (const ws of [...this.viewerSockets, ...this.reporterSockets]) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private isOwnHost(host: string | undefined, port: number): boolean {
    return host === `${RELAY_HOST}:${port}` || host === `localhost:${port}`;
  }

  private isReporter(req: IncomingMessage): boolean | 'refused' {
    const url = new URL(req.url ?? '/', 'ws://relay');
    if (url.pathname === '/') return false;
    if (url.pathname !== '/report') return 'refused';
    const token = url.searchParams.get('token') ?? '';
    return timingSafeEqual(digest(token), digest(this.token)) ? true : 'refused';
  }

  private upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const port = this.bound?.port ?? 0;
    const reporter = this.isReporter(req);
    const origin = req.headers.origin;
    // A browser page elsewhere must not read the traffic: browsers send Origin, and only the
    // relay's own page (or Stately's) may connect; non-browser clients send none.
    const originOk =
      origin === undefined ||
      origin === 'https://stately.ai' ||
      origin === `http://${RELAY_HOST}:${port}` ||
      origin === `http://localhost:${port}`;
    if (reporter === 'refused' || (reporter && origin !== undefined) || !originOk) {
      this.logger.warn({ path: (req.url ?? '').split('?')[0], origin }, 'inspector: connection refused');
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => (reporter ? this.addReporter(ws) : this.addViewer(ws)));
  }

  private addViewer(ws: WebSocket): void {
    this.viewerSockets.add(ws);
    ws.on('close', () => this.viewerSockets.delete(ws));
    ws.on('error', () => ws.terminate());
    ws.on('message', () => {
      /* viewers are read-only: ignored, never relayed */
    });
    for (const text of this.retained.replay()) ws.send(text);
    for (const wake of this.viewerWaiters.splice(0)) wake();
  }

  private addReporter(ws: WebSocket): void {
    const owner = this.nextReporter++;
    this.reporterSockets.add(ws);
    ws.on('close', () => {
      this.reporterSockets.delete(ws);
      this.retained.retire(owner);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = parseReport(data.toString());
      if (!msg) return;
      const text = JSON.stringify(msg);
      this.retained.record(msg, text, owner);
      this.broadcast(text);
    });
  }

  private broadcast(text: string): void {
    for (const ws of this.viewerSockets) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > MAX_VIEWER_BACKLOG) {
        this.logger.warn('inspector: a viewer cannot keep up; disconnecting it');
        ws.terminate();
        continue;
      }
      ws.send(text);
    }
  }
}
