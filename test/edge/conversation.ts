/**
 * A raw SMTP client for tests and the Haraka-style conversation tables driven over it:
 * `[{ client: 'EHLO x' }, { server: /^250 / }, …]`. `client` lines get CRLF appended, `raw`
 * is written as is; `server` matches one whole reply (multi-line replies joined with '\n'):
 * a string must be equal, a RegExp must match; `closed` expects the server to hang up;
 * `starttls` wraps the socket in TLS (node:tls). Replies are read by line, never by timing.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export type Step =
  | { client: string }
  | { raw: string | Buffer }
  | { server: string | RegExp }
  | { closed: true }
  | { starttls: ConnectionOptions };

export class SmtpTestClient {
  private buffer = '';
  private lines: string[] = [];
  private waiters: (() => void)[] = [];
  private ended = false;
  socket: Socket | TLSSocket;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  /** `localAddress` binds the client to another loopback address (127.0.0.2 …), as another host. */
  static open(port: number, host = '127.0.0.1', localAddress?: string): Promise<SmtpTestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, ...(localAddress ? { localAddress } : {}) }, () =>
        resolve(new SmtpTestClient(socket)),
      );
      socket.once('error', reject);
    });
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let i: number;
      // biome-ignore lint/suspicious/noAssignInExpressions: the usual scan-for-line-end loop.
      while ((i = this.buffer.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, i));
        this.buffer = this.buffer.slice(i + 2);
      }
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async nextLine(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no reply within ${timeoutMs} ms (partial: ${JSON.stringify(this.buffer.slice(0, 200))})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.lines.shift();
  }

  /** One whole reply (continuation lines `250-…` up to the final `250 …`), joined with '\n'. */
  async reply(timeoutMs = 5000): Promise<string | undefined> {
    const out: string[] = [];
    for (;;) {
      const line = await this.nextLine(timeoutMs);
      if (line === undefined) return out.length ? out.join('\n') : undefined;
      out.push(line);
      if (!/^\d{3}-/.test(line)) return out.join('\n');
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  send(line: string): void {
    this.write(`${line}\r\n`);
  }

  /** Send a command and return its reply. */
  async command(line: string): Promise<string | undefined> {
    this.send(line);
    return this.reply();
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('the server did not close the connection');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  get closed(): boolean {
    return this.ended;
  }

  async starttls(options: ConnectionOptions): Promise<TLSSocket> {
    const raw = this.socket as Socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ ...options, socket: raw }, () => resolve(s));
      s.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
    return secure;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Drive one conversation table; returns every reply seen, for messages on failure. */
export async function converse(port: number, steps: readonly Step[], client?: SmtpTestClient): Promise<string[]> {
  const c = client ?? (await SmtpTestClient.open(port));
  const seen: string[] = [];
  try {
    for (const [i, step] of steps.entries()) {
      if ('client' in step) c.send(step.client);
      else if ('raw' in step) c.write(step.raw);
      else if ('starttls' in step) await c.starttls(step.starttls);
      else if ('closed' in step) await c.waitClosed();
      else {
        const reply = await c.reply();
        seen.push(reply ?? '<closed>');
        const where = `step ${i}: after ${JSON.stringify(seen.slice(-4))}`;
        if (reply === undefined)
          assert.fail(`${where}: the server closed the connection, expected ${String(step.server)}`);
        if (typeof step.server === 'string') assert.equal(reply, step.server, where);
        else assert.match(reply, step.server, where);
      }
    }
  } finally {
    if (!client) c.close();
  }
  return seen;
}
