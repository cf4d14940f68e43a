/**
 * ControlServer: the daemon's local control socket (`<dataDir>/control.sock`), through which
 * `mailtrail retry|hold|release|delete|bounce` reach the running queue's actors. A unix socket
 * created with mode 0600 (umask while binding, chmod after), so only root and the owner connect.
 * One JSON request per line, one JSON reply per line (protocol.ts); a bad line gets an error
 * reply, never a crash. `enqueue` (mailtrail sendmail) is followed by the message's bytes,
 * streamed into the queue as they arrive. start() removes a stale socket file and refuses a live one
 * (ControlSocketInUseError: another daemon owns this data directory).
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Logger } from 'pino';
import { InvariantError, MailtrailError } from '../errors/mailtrailError.js';
import { silentLogger } from '../logging/logger.js';
import { OPERATOR_OPS, refusalText, type OperatorOp } from '../queue/operatorOps.js';
import { UnknownMessageError, type Queue } from '../queue/queue.js';
import { EventNotAcceptedError } from '../replay/eventNotAcceptedError.js';
import { BodyTooLargeError } from '../spool/spoolErrors.js';
import {
  ControlCodes,
  ControlProtocolError,
  MAX_REQUEST_BYTES,
  encodeLine,
  parseRequest,
  type ControlReply,
  type ControlRequest,
  type RequeueReplyItem,
} from './protocol.js';

/** The queue methods the socket drives (a Queue, or a stand-in in tests). */
export type ControlledQueue = Pick<
  Queue,
  'retryNow' | 'retryAll' | 'hold' | 'release' | 'delete' | 'bounce' | 'requeue' | 'enqueue'
>;

export interface ControlServerOptions {
  readonly path: string;
  readonly queue: ControlledQueue;
  readonly logger?: Logger;
  /** Recorded as the events' `by`. Default 'cli'. */
  readonly by?: string;
  /** `mailtrail requeue --quarantined`: puts quarantined bodies (one, or all) back in the queue. */
  readonly requeueQuarantined?: (id: string | undefined, force: boolean) => Promise<readonly RequeueReplyItem[]>;
}

export class ControlSocketInUseError extends MailtrailError {
  constructor(path: string, detail = 'another daemon is listening on it') {
    super('ERR_CONTROL_SOCKET_IN_USE', `control socket ${path}: ${detail}`);
  }
}

/** Idle connections are closed after this long. */
const IDLE_MS = 30_000;

export class ControlServer {
  readonly path: string;
  private readonly queue: ControlledQueue;
  private readonly logger: Logger;
  private readonly by: string;
  private readonly requeueQuarantined: ControlServerOptions['requeueQuarantined'];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(options: ControlServerOptions) {
    this.path = options.path;
    this.queue = options.queue;
    this.logger = options.logger ?? silentLogger;
    this.by = options.by ?? 'cli';
    this.requeueQuarantined = options.requeueQuarantined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    await removeStaleSocket(this.path);
    const server = createServer({ allowHalfOpen: true }, (socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // bind(2) runs synchronously inside listen(): the umask covers it, no window at 0777.
      const previous = setUmask(0o177);
      try {
        server.listen(this.path, () => {
          server.off('error', reject);
          resolve();
        });
      } finally {
        if (previous !== undefined) setUmask(previous);
      }
    });
    this.server = server;
    await chmod(this.path, 0o600);
    server.on('error', (err) => this.logger.error({ err }, 'control socket error'));
    this.logger.debug({ path: this.path }, 'control socket listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    await unlink(this.path).catch(() => undefined);
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.logger.debug({ err }, 'control connection error'));
    let buffered: Buffer = Buffer.alloc(0);
    // The message of an `enqueue` request in flight: the bytes still to come, and where they go.
    let payload: { remaining: number; sink: PassThrough } | undefined;
    let chain: Promise<void> = Promise.resolve();
    const reply = (pending: Promise<ControlReply>): void => {
      chain = chain.then(async () => {
        const r = await pending;
        if (!socket.destroyed && socket.writable) socket.write(encodeLine(r));
      });
    };
    const pump = (): void => {
      for (;;) {
        if (payload) {
          const take = Math.min(payload.remaining, buffered.length);
          if (take > 0) payload.sink.write(buffered.subarray(0, take));
          buffered = buffered.subarray(take);
          payload.remaining -= take;
          if (payload.remaining > 0) return;
          payload.sink.end();
          payload = undefined;
          continue;
        }
        const nl = buffered.indexOf(0x0a);
        if (nl < 0) break;
        const line = buffered.subarray(0, nl).toString('utf8').replace(/\r$/, '');
        buffered = buffered.subarray(nl + 1);
        if (line.trim() === '') continue;
        const request = parseRequest(line);
        if (!(request instanceof ControlProtocolError) && request.op === 'enqueue') {
          const sink = new PassThrough();
          // A client that leaves mid-message destroys the sink with an error: the queue's read
          // of it fails (and nothing is queued); it must never become an uncaught exception.
          sink.on('error', (err) => this.logger.debug({ err }, 'control: enqueue payload cut short'));
          payload = { remaining: request.size ?? 0, sink };
          reply(this.enqueue(request, sink));
        } else {
          reply(this.handle(line));
        }
      }
      if (buffered.length > MAX_REQUEST_BYTES) {
        buffered = Buffer.alloc(0);
        const r: ControlReply = {
          ok: false,
          error: `request longer than ${MAX_REQUEST_BYTES} bytes`,
          code: ControlCodes.badRequest,
        };
        void chain.then(() => socket.end(encodeLine(r)));
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      pump();
    });
    socket.on('end', () => {
      if (payload)
        payload.sink.destroy(
          new Error(`the client closed the connection ${payload.remaining} bytes before the end of the message`),
        );
      else if (buffered.toString('utf8').trim() !== '') reply(this.handle(buffered.toString('utf8')));
      buffered = Buffer.alloc(0);
      void chain.then(() => socket.end());
    });
  }

  /** `enqueue`: the message arriving on `body` is queued (origin local); the reply names its id once it is durable. */
  private async enqueue(r: ControlRequest, body: PassThrough): Promise<ControlReply> {
    try {
      const id = await this.queue.enqueue({
        envelope: { sender: r.sender ?? '', recipients: [...(r.recipients ?? [])] },
        body,
        origin: 'local',
      });
      this.logger.info(
        { op: 'enqueue', messageId: id, sender: r.sender, recipients: r.recipients?.length, size: r.size },
        `control: enqueue ${id} (local)`,
      );
      return { ok: true, id, state: 'received' };
    } catch (err) {
      body.resume(); // drain what is left of a message the queue refused
      const error = err instanceof Error ? err.message : String(err);
      this.logger.warn({ op: 'enqueue', error }, 'control: enqueue failed');
      return {
        ok: false,
        error,
        code: err instanceof BodyTooLargeError ? ControlCodes.refused : ControlCodes.internal,
      };
    }
  }

  /** One request line → its reply; never throws. */
  async handle(line: string): Promise<ControlReply> {
    const request = parseRequest(line);
    if (request instanceof ControlProtocolError) {
      this.logger.warn({ error: request.message }, 'control: bad request');
      return { ok: false, error: request.message, code: request.code };
    }
    if (request.op === 'enqueue')
      return {
        ok: false,
        error: 'op "enqueue" is followed by the message: send it on a connection',
        code: ControlCodes.badRequest,
      };
    try {
      const reply = await this.execute(request);
      this.logger.info(
        { op: request.op, messageId: request.id, ...reply },
        `control: ${request.op}${request.id ? ` ${request.id}` : ''}`,
      );
      return reply;
    } catch (err) {
      const reply = errorReply(err, request);
      this.logger.warn({ op: request.op, messageId: request.id, error: reply.error }, `control: ${request.op} refused`);
      return reply;
    }
  }

  private async execute(r: ControlRequest): Promise<ControlReply> {
    const id = r.id ?? '';
    switch (r.op) {
      case 'ping':
        return { ok: true, pid: process.pid };
      case 'retryAll':
        return { ok: true, count: await this.queue.retryAll(this.by) };
      case 'retry':
        return { ok: true, state: await this.queue.retryNow(id, this.by) };
      case 'hold':
        return { ok: true, state: await this.queue.hold(id, this.by) };
      case 'release':
        return { ok: true, state: await this.queue.release(id, this.by) };
      case 'delete':
        return { ok: true, state: await this.queue.delete(id, this.by) };
      case 'bounce':
        return { ok: true, state: await this.queue.bounce(id, this.by) };
      case 'requeue':
        return { ok: true, state: await this.queue.requeue(id, this.by) };
      case 'requeueQuarantined': {
        if (!this.requeueQuarantined) throw new InvariantError('this daemon does not requeue quarantined bodies');
        const results = await this.requeueQuarantined(r.id, r.force === true);
        return { ok: true, count: results.filter((x) => x.outcome === 'queued').length, results };
      }
      case 'enqueue':
        return { ok: false, error: 'op "enqueue" is handled with its payload', code: ControlCodes.badRequest };
    }
  }
}

function errorReply(err: unknown, request: ControlRequest): ControlReply & { ok: false } {
  const error = err instanceof Error ? err.message : String(err);
  if (err instanceof UnknownMessageError) return { ok: false, error, code: ControlCodes.notFound };
  // The machine refused the event in the message's current state (replay.ts applyEvent).
  if (err instanceof EventNotAcceptedError) {
    const op = ((OPERATOR_OPS as readonly string[]).includes(request.op) ? request.op : 'retry') as OperatorOp;
    return {
      ok: false,
      error: refusalText(op, request.id ?? '?', err.state),
      code: ControlCodes.refused,
      state: err.state,
    };
  }
  return { ok: false, error, code: ControlCodes.internal };
}

function setUmask(mask: number): number | undefined {
  try {
    return process.umask(mask);
  } catch {
    return undefined; // worker threads cannot change the umask: the chmod after listen still applies
  }
}

/** A socket file nobody listens on is left by a crash: remove it. A live one is an error. */
async function removeStaleSocket(path: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stats.isSocket()) throw new ControlSocketInUseError(path, 'exists and is not a socket; not removing it');
  if (await isListening(path)) throw new ControlSocketInUseError(path);
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

function isListening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}
