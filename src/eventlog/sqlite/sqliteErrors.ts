/**
 * The typed errors of the SQLite event log, beyond the port's own
 * (ExpectedRevisionConflictError, EventLogClosedError):
 * opening failed (names the file), an append on a readonly log, and a failed commit
 * (disk full, I/O error, lock timeout) that rejects every append of its batch as 4.3.0, or as
 * 4.3.1 (452, insufficient system storage) when SQLite reports the disk full.
 */
import { MailtrailError } from '../../errors/mailtrailError.js';

/** The file could not be opened as an event log (missing, unreadable, not initialised). */
export class EventLogOpenError extends MailtrailError {
  readonly path: string;
  constructor(path: string, reason: string, cause?: unknown) {
    super('ERR_EVENTLOG_OPEN', `cannot open event log ${path}: ${reason}`, { cause });
    this.path = path;
  }
}

/** append() on a log opened with { readonly: true }. */
export class EventLogReadonlyError extends MailtrailError {
  constructor(path: string) {
    super('ERR_EVENTLOG_READONLY', `event log ${path} is open read-only: appends go through the daemon`);
  }
}

/** SQLite's result codes for a full disk or database (SQLITE_FULL; ENOSPC while writing). */
function diskFull(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}

/** The batch transaction could not be committed; nothing of it was written. */
export class EventLogWriteError extends MailtrailError {
  constructor(path: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const full = diskFull(cause);
    super('ERR_EVENTLOG_WRITE', `event log ${path}: commit failed: ${detail}`, {
      cause,
      smtpCode: full ? 452 : 451,
      enhancedStatus: full ? '4.3.1' : '4.3.0',
    });
  }
}
