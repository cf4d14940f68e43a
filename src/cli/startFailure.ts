/**
 * The exit code and one-line message of a failed `mailtrail run` start (sysexits, as
 * docs/cli.md tables them): 78 EX_CONFIG for a bad configuration (file, key, unknown user),
 * 75 EX_TEMPFAIL when another daemon holds the data directory (or the PostgreSQL event log), 66 EX_NOINPUT when the event log
 * is lost while bodies are spooled, 73 EX_CANTCREAT when the daemon
 * cannot create or write its files (`dataDir`, the event log's directory or a Maildir root, the
 * lock, `--log`, the pid file, what it must write after the privilege drop), 70 EX_SOFTWARE for
 * anything else (a port in use, a history that does not replay). Decided on error classes, never on message text.
 */
import { ConfigError, MailtrailError } from '../errors/mailtrailError.js';
import { EventLogMissingError, LOST_LOG_EXIT } from '../daemon/lostLogGuard.js';
import { NotWritableError } from '../daemon/privileges.js';
import { DirectoryLockError, DirectoryLockedError } from '../storage/directoryLock.js';
import { DirectoryCreateError } from '../storage/makeDirectory.js';
import { EventLogLockedError } from '../eventlog/postgres/nodeNameLock.js';

export const EX_SOFTWARE = 70;
export const EX_CANTCREAT = 73;
export const EX_TEMPFAIL = 75;
export const EX_CONFIG = 78;

export function startFailure(err: unknown): { code: number; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ConfigError) return { code: EX_CONFIG, message: `configuration error: ${message}` };
  if (err instanceof DirectoryLockedError || err instanceof EventLogLockedError) return { code: EX_TEMPFAIL, message };
  if (err instanceof EventLogMissingError) return { code: LOST_LOG_EXIT, message };
  if (err instanceof NotWritableError || err instanceof DirectoryLockError || err instanceof DirectoryCreateError)
    return { code: EX_CANTCREAT, message };
  if (err instanceof MailtrailError && err.code === 'ERR_USAGE') return { code: 64, message };
  // A system error on a file (it carries the path: mkdir, open, chown …), not on a port.
  if (!(err instanceof MailtrailError) && typeof (err as NodeJS.ErrnoException).path === 'string')
    return { code: EX_CANTCREAT, message };
  return { code: EX_SOFTWARE, message };
}
