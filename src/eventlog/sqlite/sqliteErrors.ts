/**
 * The typed errors of the SQLite event log, beyond the port's own
 * (ExpectedRevisionConflictError, EventLogClosedError):
 * opening failed (names the file), an append on a readonly log, and a failed commit
 * (disk full, I/O error, lock timeout) that rejects every append of its batch as 4.3.0, or as
 * 4.3.1 (452, insufficient system storage) when SQLite reports the disk full, and a damaged
 * database file (SQLite's CORRUPT and NOTADB codes), which the daemon does not outlive quietly.
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
export function diskFull(cause: unknown): boolean {
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

/** SQLite says the file's pages are not a valid database (SQLITE_CORRUPT and its extended codes, SQLITE_NOTADB). */
function isDatabaseDamage(cause: unknown): boolean {
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/**
 * The database file is damaged: an append touched pages that are not a valid b-tree. Nothing
 * of that append was written; the file will not heal by itself, so the daemon's edge refuses
 * mail (451 4.3.0) from then on, until it is restarted on a repaired log.
 */
export class EventLogDamagedError extends MailtrailError {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'ERR_EVENTLOG_DAMAGED',
      `event log ${path} is damaged (${detail}): stop the daemon, keep a copy of its events.sqlite* files, run \`mailtrail check\`, and see docs/operations.md, "A damaged event log"`,
      { cause, smtpCode: 451, enhancedStatus: '4.3.0' },
    );
    this.path = path;
  }
}

/** The damage error for an error that says the file is damaged (as itself, or as the cause of a failed batch). */
export function asDamage(path: string, error: unknown): EventLogDamagedError | undefined {
  if (error instanceof EventLogDamagedError) return error;
  const cause = error instanceof EventLogWriteError ? error.cause : error;
  return isDatabaseDamage(cause) ? new EventLogDamagedError(path, cause) : undefined;
}
