/**
 * How the PostgreSQL adapter tells a server it cannot reach from a statement the server
 * refused, and the errors it raises: appends that could not be committed reject with the
 * shared EventLogWriteError (451 4.3.0: the client retries later, nothing was acknowledged);
 * reads that cannot reach the server reject with EventLogOpenError. Both name the server by
 * its target (host, port, database), never the password.
 */
import pg from 'pg';
import { EventLogOpenError, EventLogWriteError } from '../sqlite/sqliteErrors.js';

/**
 * `postgres://user@host:port/db`, or `postgres://user@/db (socket /run/postgresql)` for a
 * unix socket: what messages name, never the password or the other parameters.
 */
export function describeTarget(connectionString: string): string {
  let url: URL;
  try {
    // WHATWG URLs refuse user info with an empty host (libpq's socket form): give it one.
    url = new URL(connectionString.replace(/^([a-z]+:\/\/[^/?#@]*@)(?=[/?#]|$)/i, '$1socket'));
  } catch {
    return 'postgres (unparsable connection string)';
  }
  const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
  const host = url.hostname === 'socket' && !connectionString.includes('@socket') ? '' : url.host;
  const socket = url.searchParams.get('host');
  return `postgres://${user}${host}${url.pathname}${socket ? ` (socket ${socket})` : ''}`;
}

/**
 * True when the error says the server could not be used at all (connection refused, reset,
 * closed, shut down) rather than that it refused one statement: pg raises a DatabaseError,
 * with an SQLSTATE, only for a server's answer; classes 08 (connection) and 57P (shutdown)
 * are also the server going away.
 */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return true;
  const code = error.code ?? '';
  return code.startsWith('08') || code.startsWith('57P');
}

export function writeError(target: string, cause: unknown): EventLogWriteError {
  return new EventLogWriteError(target, cause);
}

export function readError(target: string, cause: unknown): unknown {
  if (!isUnavailable(cause)) return cause;
  return new EventLogOpenError(target, cause instanceof Error ? cause.message : String(cause), cause);
}
