/**
 * A viewer for tests: a plain `ws` client on a relay's viewer URL that keeps every message it
 * receives (raw text and parsed), with `until` to poll for one (never a fixed sleep) and
 * `closed` to see the relay hang up.
 */
import { WebSocket } from 'ws';

export interface Received {
  readonly type: string;
  readonly sessionId: string;
  readonly name?: string;
  readonly event?: { type: string; [k: string]: unknown };
  readonly snapshot?: { status?: string; value?: unknown; context?: Record<string, unknown> };
  readonly definition?: string;
  readonly [k: string]: unknown;
}

export class Viewer {
  readonly raw: string[] = [];
  readonly messages: Received[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      this.messages.push(JSON.parse(text) as Received);
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<Viewer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const viewer = new Viewer(ws);
      ws.once('open', () => resolve(viewer));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** Every message of this type (optionally for actors whose name starts with a prefix). */
  ofType(type: string): Received[] {
    return this.messages.filter((m) => m.type === type);
  }

  get text(): string {
    return this.raw.join('\n');
  }

  async until<T>(probe: () => T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v) return v as NonNullable<T>;
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; got ${this.messages.map((m) => `${m.type}:${m.name ?? m.event?.type ?? ''}`).join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.ws.terminate();
  }
}
