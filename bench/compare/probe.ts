/**
 * The latency probe of `npm run bench -- compare`: smtp-source cannot time its replies, so
 * this separate process runs its own SMTP sessions beside the load and times, for each of
 * its messages, the span from writing the message's last bytes (body and the final
 * `CRLF.CRLF` in one write) to reading the server's reply to them. It waits for SIGUSR1
 * (start), sends messages back to back until SIGUSR2 (stop), then prints one JSON line:
 * { sent, latenciesMs } and exits. Usage:
 *   node bench/compare/probe.ts <host> <port> <reuse|conn> <bytes> [sessions]
 * reuse: one connection per session, MAIL after each 250 (smtp-source -d); conn: QUIT and a
 * new connection after each message (smtp-source's default). Its messages are real mail
 * (same recipient as the load): the bench counts them in both systems' totals.
 */
import { connect, type Socket } from 'node:net';

const [host = '127.0.0.1', portArg = '25', mode = 'reuse', bytesArg = '2048', sessionsArg = '1'] =
  process.argv.slice(2);
const port = Number(portArg);
const reuse = mode === 'reuse';
const latencies: number[] = [];
let sent = 0;
let running = false;
let stopping = false;
let active = 0;

function body(): Buffer {
  const lines = ['From: <a@x.test>', 'To: <user@y.test>', 'Subject: probe', ''];
  let size = lines.join('\r\n').length;
  const line = 'x'.repeat(76);
  while (size < Number(bytesArg)) {
    lines.push(line);
    size += line.length + 2;
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n.\r\n`, 'latin1');
}
const message = body();

/** Reads CRLF-terminated replies; resolves each wait with the reply's last line. */
class Replies {
  private buffer = '';
  private waiting: ((line: string) => void)[] = [];
  private ready: string[] = [];
  constructor(socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let at = this.buffer.indexOf('\r\n'); at >= 0; at = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 2);
        if (line[3] === '-') continue; // continuation of a multi-line reply
        const w = this.waiting.shift();
        if (w) w(line);
        else this.ready.push(line);
      }
    });
  }
  next(): Promise<string> {
    const line = this.ready.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

async function expect(replies: Replies, code: string, what: string): Promise<void> {
  const line = await replies.next();
  if (!line.startsWith(code)) throw new Error(`probe: ${what}: expected ${code}, got ${line}`);
}

async function open(): Promise<{ socket: Socket; replies: Replies }> {
  const socket = connect({ host, port, noDelay: true });
  const replies = new Replies(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  await expect(replies, '220', 'greeting');
  socket.write('EHLO probe.x.test\r\n');
  await expect(replies, '250', 'EHLO');
  return { socket, replies };
}

async function session(): Promise<void> {
  active++;
  try {
    let conn = await open();
    while (!stopping) {
      const { socket, replies } = conn;
      socket.write('MAIL FROM:<a@x.test>\r\n');
      await expect(replies, '250', 'MAIL');
      socket.write('RCPT TO:<user@y.test>\r\n');
      await expect(replies, '250', 'RCPT');
      socket.write('DATA\r\n');
      await expect(replies, '354', 'DATA');
      const t0 = performance.now();
      socket.write(message);
      await expect(replies, '250', 'end of DATA');
      latencies.push(performance.now() - t0);
      sent++;
      if (!reuse) {
        socket.write('QUIT\r\n');
        await replies.next().catch(() => undefined);
        socket.destroy();
        if (stopping) return;
        conn = await open();
      }
    }
    conn.socket.write('QUIT\r\n');
    await conn.replies.next();
    conn.socket.destroy();
  } finally {
    active--;
  }
}

function finish(): void {
  process.stdout.write(`${JSON.stringify({ sent, latenciesMs: latencies })}\n`, () => process.exit(0));
}

process.on('SIGUSR1', () => {
  if (running) return;
  running = true;
  for (let i = 0; i < Number(sessionsArg); i++) {
    session()
      .catch((err: unknown) => {
        process.stderr.write(`${String(err)}\n`);
        process.exitCode = 1;
      })
      .finally(() => {
        if (stopping && active === 0) finish();
      });
  }
});
process.on('SIGUSR2', () => {
  stopping = true;
  if (active === 0) finish();
});
process.stdout.write('ready\n');
setInterval(() => undefined, 1 << 30); // stay alive until told to stop
