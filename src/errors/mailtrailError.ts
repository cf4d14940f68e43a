/**
 * The error classes of mailtrail (STYLE.md "Conventions" 5).
 * Every error carries a stable `code` (catalogued in docs/errors.md) and, where an SMTP
 * reply applies, the basic reply code and the RFC 3463 enhanced status.
 * TransientError (4.x.x) defers, PermanentError (5.x.x) fails for good, ConfigError is
 * fatal at start and names the file and key, InvariantError is a bug and stops the actor.
 */
export class MailtrailError extends Error {
  readonly code: string;
  readonly smtpCode?: number;
  readonly enhancedStatus?: string;
  constructor(
    code: string,
    message: string,
    opts: { smtpCode?: number; enhancedStatus?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    if (opts.smtpCode !== undefined) this.smtpCode = opts.smtpCode;
    if (opts.enhancedStatus !== undefined) this.enhancedStatus = opts.enhancedStatus;
  }
}

/** A delivery or policy step that may succeed later (4.x.x). */
export class TransientError extends MailtrailError {
  /** `code`: a subclass gives its own (every class has one, docs/errors.md). */
  constructor(message: string, enhancedStatus = '4.0.0', smtpCode = 451, cause?: unknown, code = 'ERR_TRANSIENT') {
    super(code, message, { smtpCode, enhancedStatus, cause });
  }
}

/** A delivery or policy step that will never succeed (5.x.x). */
export class PermanentError extends MailtrailError {
  constructor(message: string, enhancedStatus = '5.0.0', smtpCode = 550, cause?: unknown, code = 'ERR_PERMANENT') {
    super(code, message, { smtpCode, enhancedStatus, cause });
  }
}

/** A configuration error: fatal at start, names the file and the key. */
export class ConfigError extends MailtrailError {
  readonly file: string | undefined;
  readonly key: string;
  constructor(key: string, message: string, file?: string) {
    super('ERR_CONFIG', `${file ?? '<config>'}: ${key}: ${message}`);
    this.file = file;
    this.key = key;
  }
}

/** A broken invariant: a bug, or a stored history the machine cannot accept. */
export class InvariantError extends MailtrailError {
  constructor(message: string, code = 'ERR_INVARIANT') {
    super(code, message);
  }
}
