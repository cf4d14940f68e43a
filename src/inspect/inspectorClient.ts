/**
 * The reporting side: `inspect` is the observer given to XState's createActor. Inspection
 * events go through @statelyai/inspect's createInspector (the conversion its WebSocket
 * inspector uses), are sanitized (sanitize.ts) and namespaced (XState session ids are per
 * process), and sent to a relay's reporter URL over `ws`. Unlike the package's own WebSocket
 * adapter, this one reconnects after any close (backoff), drops what happens while
 * disconnected, and on each (re)connection re-registers every live actor with its snapshot.
 */
import { randomBytes } from 'node:crypto';
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { silentLogger } from '../logging/logger.js';
import { type AddressMode, createSanitizer } from './sanitize.js';

export interface InspectorClientOptions {
  /** E-mail addresses as they are, or masked (`b***@example.test`). Default mask. */
  readonly addresses?: AddressMode;
  /** Prefix of every session id sent (default: pid and random); several reporters may share a relay. */
  readonly namespace?: string;
  /** Reconnection delay, doubling from minMs up to maxMs. Default 250 ms … 5 s. */
  readonly reconnect?: { readonly minMs?: number; readonly maxMs?: number };
  readonly logger?: Logger;
}

const ID_FIELDS = ['sessionId', 'rootId', 'parentId', 'sourceId'] as const;

export class InspectorClient {
  /** The observer for createActor's `inspect` option. */
  readonly inspect: (event: InspectionEvent) => void;
  private readonly inspector: ReturnType<typeof createInspector>;
  private readonly live = new Map<string, AnyActorRef>();
  private readonly namespace: string;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly logger: Logger;
  private url: string | undefined;
  private ws: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private closed = false;
  private waiters: (() => void)[] = [];
  private everConnected = false;
  /** Messages not sent because no relay was connected. */
  dropped = 0;

  constructor(options: InspectorClientOptions = {}) {
    const sanitize = createSanitizer({ addresses: options.addresses ?? 'mask' });
    this.namespace = options.namespace ?? `${process.pid}.${randomBytes(3).toString('hex')}:`;
    this.minMs = options.reconnect?.minMs ?? 250;
    this.maxMs = options.reconnect?.maxMs ?? 5000;
    this.delay = this.minMs;
    this.logger = options.logger ?? silentLogger;
    const prepare = (event: StatelyInspectionEvent): StatelyInspectionEvent => {
      const clean = sanitize(event) as Record<string, unknown>;
      for (const key of ID_FIELDS)
        if (typeof clean[key] === 'string') clean[key] = `${this.namespace}${clean[key] as string}`;
      return clean as unknown as StatelyInspectionEvent;
    };
    this.inspector = createInspector(
      { send: (event: StatelyInspectionEvent) => this.send(event) },
      { serialize: prepare },
    );
    this.inspect = (event) => {
      this.track(event);
      this.inspector.inspect.next?.(event);
    };
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Actors this client has seen start and not yet finish. */
  get liveActors(): number {
    return this.live.size;
  }

  /** Connect (and keep reconnecting) to a relay's reporter URL. */
  connect(url: string): void {
    this.url = url;
    this.closed = false;
    this.open();
  }

  /** Resolves true once connected, false after timeoutMs. */
  waitConnected(timeoutMs = 5000): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Resolves when converted events have been handed to the socket and written. */
  async flush(timeoutMs = 5000): Promise<void> {
    await new Promise((r) => setTimeout(r, 5)); // the package converts on a timer (idleCallback)
    const deadline = Date.now() + timeoutMs;
    while (this.ws && this.ws.bufferedAmount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close();
    });
  }

  private track(event: InspectionEvent): void {
    if (event.type === '@xstate.actor') this.live.set(event.actorRef.sessionId, event.actorRef as AnyActorRef);
    else if (event.type === '@xstate.snapshot' && (event.snapshot as { status?: string }).status !== 'active')
      this.live.delete(event.actorRef.sessionId);
  }

  private send(event: StatelyInspectionEvent): void {
    const ws = this.ws;
    if (ws?.readyState !== WebSocket.OPEN) {
      this.dropped += 1;
      return;
    }
    ws.send(JSON.stringify(event));
  }

  private open(): void {
    if (this.closed || !this.url) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.on('open', () => {
      this.delay = this.minMs;
      this.logger.info(
        { live: this.live.size },
        this.everConnected ? 'inspector: reconnected to the relay' : 'inspector: connected to the relay',
      );
      this.everConnected = true;
      this.resync();
      for (const wake of this.waiters.splice(0)) wake();
    });
    ws.on('message', () => {
      /* the relay sends nothing to reporters */
    });
    ws.on('error', (err) => this.logger.debug({ err: err.message }, 'inspector: relay connection error'));
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.closed) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.open(), this.delay);
      this.timer.unref();
      this.delay = Math.min(this.delay * 2, this.maxMs);
    });
  }

  /** A relay that (re)started knows nothing: register every live actor again, with its snapshot now. */
  private resync(): void {
    for (const actorRef of this.live.values()) {
      this.inspector.inspect.next?.({ type: '@xstate.actor', actorRef, rootId: actorRef.sessionId });
    }
  }
}
