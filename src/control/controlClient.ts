/**
 * sendControl: the CLI's side of the control socket. Connects, writes one request line and
 * resolves with the daemon's one-line reply (an `ok: false` reply is returned, not thrown).
 * No socket file or nobody listening (ENOENT, ECONNREFUSED) is DaemonNotRunningError, so the
 * CLI can fall back to appending to the log itself; a timeout or a garbled reply is a
 * ControlError (the daemon may be running: never fall back then).
 */
import { createConnection } from 'node:net';
import { MailtrailError } from '../errors/mailtrailError.js';
import { encodeLine, type ControlReply, type ControlRequest } from './protocol.js';

export class DaemonNotRunningError extends MailtrailError {
  constructor(path: string, cause?: unknown) {
    super('ERR_DAEMON_NOT_RUNNING', `the daemon is not running (no listener on ${path})`, { cause });
  }
}

export class ControlError extends MailtrailError {
  constructor(message: string, cause?: unknown) {
    super('ERR_CONTROL', message, { cause });
  }
}

/** One request (with `payload`, the bytes an `enqueue` line announces) → the daemon's reply. */
export function sendControl(
  path: string,
  request: ControlRequest,
  timeoutMs = 10_000,
  payload?: Buffer,
): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = '';
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new ControlError(`no reply from the daemon on ${path} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      socket.write(encodeLine(request));
      if (payload) socket.write(payload);
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      const line = buffered.slice(0, nl);
      finish(() => {
        try {
          const reply = JSON.parse(line) as ControlReply;
          if (typeof reply !== 'object' || reply === null || typeof reply.ok !== 'boolean')
            throw new Error('not a reply object');
          resolve(reply);
        } catch (err) {
          reject(new ControlError(`garbled reply from the daemon on ${path}: ${line.slice(0, 200)}`, err));
        }
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
            ? new DaemonNotRunningError(path, err)
            : new ControlError(`control socket ${path}: ${err.code ?? err.message}`, err),
        ),
      ),
    );
    socket.on('close', () => finish(() => reject(new ControlError(`the daemon closed ${path} without a reply`))));
  });
}
