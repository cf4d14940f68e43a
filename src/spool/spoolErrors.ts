/**
 * The spool's errors, each with a stable `code` (to be catalogued in docs/errors.md).
 * BodyTooLargeError is permanent (552 5.3.4) and is what the edge replies when a body passes
 * maxSize; SpoolIoError wraps a failed disk operation as transient (4.3.x: try again later);
 * InvalidBodyIdError and BodyExistsError are caller bugs; BodyMissingError means the log
 * names a body the disk no longer has. None of them is thrown for a body stream's own error.
 */
import { InvariantError, PermanentError, TransientError } from '../errors/mailtrailError.js';

/** The body passed opts.maxSize: the partial file has been removed. */
export class BodyTooLargeError extends PermanentError {
  override readonly code = 'ERR_SPOOL_TOO_LARGE';
  readonly maxSize: number;
  constructor(maxSize: number) {
    super(`message body exceeds the maximum size of ${maxSize} bytes`, '5.3.4', 552);
    this.maxSize = maxSize;
  }
}

/** An id or ref that is not a plain file name under bodies/: never turned into a path. */
export class InvalidBodyIdError extends InvariantError {
  override readonly code = 'ERR_SPOOL_INVALID_ID';
  constructor(what: 'id' | 'ref', value: string) {
    super(`invalid spool ${what} ${JSON.stringify(value.slice(0, 120))}`);
  }
}

/** store() was called twice with the same id: bodies are created exclusively. */
export class BodyExistsError extends InvariantError {
  override readonly code = 'ERR_SPOOL_BODY_EXISTS';
  constructor(id: string, cause?: unknown) {
    super(`spool body ${id} already exists`);
    if (cause !== undefined) Object.defineProperty(this, 'cause', { value: cause, enumerable: false });
  }
}

/** The log references a body the spool does not have (deleted, or never made durable). */
export class BodyMissingError extends InvariantError {
  override readonly code = 'ERR_SPOOL_BODY_MISSING';
  constructor(ref: string) {
    super(`spool body ${ref} is missing`);
  }
}

/** errno → RFC 3463: a full disk is 4.3.1 (452), anything else 4.3.0 (451). */
export class SpoolIoError extends TransientError {
  override readonly code = 'ERR_SPOOL_IO';
  readonly errno: string | undefined;
  constructor(op: string, target: string, cause: unknown) {
    const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
    const full = errno === 'ENOSPC' || errno === 'EDQUOT';
    super(`spool ${op} ${target} failed: ${errno ?? String(cause)}`, full ? '4.3.1' : '4.3.0', full ? 452 : 451, cause);
    this.errno = errno;
  }
}
