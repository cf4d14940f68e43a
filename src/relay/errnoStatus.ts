/**
 * Maps a mailbox write failure (a Node system error, by its errno `code`) to an RFC 3463
 * status, as Postfix's mbox_dsn() in global/mbox_open.c: EAGAIN/EWOULDBLOCK/ESTALE 4.2.0,
 * ENOSPC 4.3.0, EDQUOT/EFBIG 5.2.2. Any other errno (EACCES and EPERM included) gets the
 * caller's default, 4.2.0, as Postfix's local/maildir.c passes for create and link errors;
 * we use it for write and fsync errors too, where Postfix's mail_copy() passes 5.3.0.
 * An exception without an errno is not a mailbox error: 4.0.0 (STYLE.md, conventions 5).
 * The first digit decides: 4 transient, 5 permanent.
 */

/** errno code → status: the table of mbox_dsn(). */
export const ERRNO_STATUS: Readonly<Record<string, string>> = Object.freeze({
  EAGAIN: '4.2.0',
  EWOULDBLOCK: '4.2.0',
  ESTALE: '4.2.0',
  ENOSPC: '4.3.0',
  EDQUOT: '5.2.2',
  EFBIG: '5.2.2',
});

/** The default for an errno not in the table (Postfix maildir.c's def_dsn). */
export const DEFAULT_ERRNO_STATUS = '4.2.0';

/** The status for an exception that carries no errno at all. */
export const UNKNOWN_ERROR_STATUS = '4.0.0';

export type ErrnoOutcome = { outcome: 'transient' | 'permanent'; status: string };

/** The errno code of a Node system error (`ENOSPC`), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** The status and outcome for a failed mailbox operation. */
export function errnoStatus(err: unknown, defaultStatus: string = DEFAULT_ERRNO_STATUS): ErrnoOutcome {
  const code = errnoCode(err);
  const status = code === undefined ? UNKNOWN_ERROR_STATUS : (ERRNO_STATUS[code] ?? defaultStatus);
  return { outcome: status.startsWith('5') ? 'permanent' : 'transient', status };
}
