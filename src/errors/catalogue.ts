/**
 * The catalogue of mailtrail's error codes (fastify's lib/errors.js, as data): one entry per
 * error class, plus the control socket's reply-only codes. Each names its code, its class and
 * base, the SMTP reply/status it carries (if any), what it means and what an operator does.
 * docs/errors.md renders every entry as one table row (`errorRow`); test/errors/catalogue.test.ts
 * fails when a code in src/ is missing here, an entry names a code or class that no longer
 * exists, a class's reply differs, or the doc and this list disagree. Data only: no imports.
 */

export interface ErrorEntry {
  /** The `code` property, stable across versions. */
  readonly code: string;
  /** The class that carries the code and its base; absent for a reply-only code. */
  readonly class?: string;
  readonly extends?: string;
  /** `smtpCode enhancedStatus` the error carries, e.g. '451 4.3.0'; several when it depends. */
  readonly smtp?: readonly string[];
  readonly meaning: string;
  readonly action: string;
}

export const errorCatalogue: readonly ErrorEntry[] = [
  // --- the base classes (STYLE.md "Conventions" 5) ---------------------------------------
  {
    code: 'ERR_TRANSIENT',
    class: 'TransientError',
    extends: 'MailtrailError',
    smtp: ['451 4.0.0'],
    meaning: 'a step that may succeed later (4.x.x); the thrower may give another 4.x.x status',
    action: 'nothing at once: the queue retries with backoff; if it lasts, the logged reason says what to fix',
  },
  {
    code: 'ERR_PERMANENT',
    class: 'PermanentError',
    extends: 'MailtrailError',
    smtp: ['550 5.0.0'],
    meaning: 'a step that will never succeed (5.x.x); the thrower may give another 5.x.x status',
    action: 'read the reason; the sender gets it in a DSN',
  },
  {
    code: 'ERR_CONFIG',
    class: 'ConfigError',
    extends: 'MailtrailError',
    meaning:
      'a bad configuration key, an unknown user or group, a relay that cannot be built: fatal at start, names the file and the key',
    action: 'fix the named key; `mailtrail run` exits 78',
  },
  {
    code: 'ERR_INVARIANT',
    class: 'InvariantError',
    extends: 'MailtrailError',
    meaning: 'a bug, or a stored history the machine does not accept (replay names stream, revision and state)',
    action: 'report it with the output of `mailtrail history <id>`; never edit the log by hand',
  },
  // --- delivery and policies -------------------------------------------------------------
  {
    code: 'ERR_SPAMD',
    class: 'SpamdError',
    extends: 'TransientError',
    smtp: ['451 4.3.0'],
    meaning: 'spamd gave no verdict: down, too slow, or it replied with an error',
    action: 'check spamd and the `spamassassin` policy address; with `onError: defer` the message waits in `received`',
  },
  {
    code: 'ERR_UNKNOWN_MESSAGE',
    class: 'UnknownMessageError',
    extends: 'InvariantError',
    meaning: 'an operator command named a message the queue does not hold (unknown, or already final)',
    action: 'check the id with `mailtrail queue --all`; the control socket answers `ERR_CONTROL_NOT_FOUND`',
  },
  {
    code: 'ERR_EVENT_NOT_ACCEPTED',
    class: 'EventNotAcceptedError',
    extends: 'InvariantError',
    meaning:
      "a machine does not accept an event in its state: an operator command the message's state refuses (`hold` of a delivered message), or a stored history that breaks the machine",
    action:
      'for an operator command, read the refusal (it says what to do first); for a stored history, report it with `mailtrail history <id>`',
  },
  {
    code: 'ERR_MACHINE_VERSION',
    class: 'NewerMachineVersionError',
    extends: 'InvariantError',
    meaning:
      'a stored event was written by a newer version of its machine than this mailtrail knows (`metadata.machineVersion`); replay refuses rather than fold it into a state that may mean something else',
    action: 'run the mailtrail that wrote the log (or a newer one); never edit the log by hand',
  },
  // --- the spool --------------------------------------------------------------------------
  {
    code: 'ERR_SPOOL_TOO_LARGE',
    class: 'BodyTooLargeError',
    extends: 'PermanentError',
    smtp: ['552 5.3.4'],
    meaning: 'a body passed `smtp.maxMessageSize`; the partial file was removed and the client got 552 5.3.4',
    action: "the sender's to solve; raise `smtp.maxMessageSize` if such mail is wanted",
  },
  {
    code: 'ERR_SPOOL_IO',
    class: 'SpoolIoError',
    extends: 'TransientError',
    smtp: ['451 4.3.0', '452 4.3.1'],
    meaning: 'a spool file operation failed; a full disk or quota (ENOSPC, EDQUOT) is 452 4.3.1',
    action: 'free space on the disk of `dataDir`; check that the spool is owned by the mail user',
  },
  {
    code: 'ERR_SPOOL_INVALID_ID',
    class: 'InvalidBodyIdError',
    extends: 'InvariantError',
    meaning: 'a body id or reference that is not a plain file name under `bodies/` (never turned into a path)',
    action: 'a bug: report it',
  },
  {
    code: 'ERR_SPOOL_BODY_EXISTS',
    class: 'BodyExistsError',
    extends: 'InvariantError',
    meaning: 'a body was stored twice under one id (bodies are created exclusively)',
    action: 'a bug, or two daemons on one `dataDir`: stop the second one',
  },
  {
    code: 'ERR_SPOOL_BODY_MISSING',
    class: 'BodyMissingError',
    extends: 'InvariantError',
    meaning: 'the log names a body the spool does not have (removed by hand, or a restore without the spool)',
    action: 'restore `spool/` from the same backup as the log, or `mailtrail delete <id>`',
  },
  // --- the event log ----------------------------------------------------------------------
  {
    code: 'ERR_EXPECTED_REVISION',
    class: 'ExpectedRevisionConflictError',
    extends: 'MailtrailError',
    meaning: 'a stream had moved on since its writer last read it: a second writer appended to it',
    action: 'run one daemon per event log; repeat the command',
  },
  {
    code: 'ERR_EVENTLOG_CLOSED',
    class: 'EventLogClosedError',
    extends: 'MailtrailError',
    meaning: 'the event log was used after it was closed',
    action: 'none during shutdown; at any other time a bug: report it',
  },
  {
    code: 'ERR_EVENTLOG_OPEN',
    class: 'EventLogOpenError',
    extends: 'MailtrailError',
    meaning:
      'the file could not be opened as an event log (missing, unreadable, not initialised, locked); on PostgreSQL: the server could not be reached or refused the login (at start, or for a read)',
    action:
      'check `eventLog.path` and that the mail user owns it and its directory; on PostgreSQL check `eventLog.connectionString`, that the server runs and the user may log in',
  },
  {
    code: 'ERR_EVENTLOG_READONLY',
    class: 'EventLogReadonlyError',
    extends: 'MailtrailError',
    meaning: 'an append to a log opened read-only',
    action: 'a bug in a command: report it',
  },
  {
    code: 'ERR_EVENTLOG_WRITE',
    class: 'EventLogWriteError',
    extends: 'MailtrailError',
    smtp: ['451 4.3.0', '452 4.3.1'],
    meaning:
      'a group commit failed (disk full, I/O error, lock timeout; on PostgreSQL: the server unreachable); no append of its batch was acknowledged; a full disk (SQLITE_FULL) is 452 4.3.1',
    action:
      'free disk space; close other writers of `events.sqlite` (a `sqlite3` shell holding a transaction); on PostgreSQL bring the server back: clients retry after 451',
  },
  {
    code: 'ERR_EVENTLOG_DAMAGED',
    class: 'EventLogDamagedError',
    extends: 'MailtrailError',
    smtp: ['451 4.3.0'],
    meaning:
      'an append touched pages of events.sqlite that are not a valid database (SQLite CORRUPT or NOTADB); nothing of it was written, and the SMTP edge refuses mail until the daemon restarts',
    action:
      'stop the daemon, keep a copy of `events.sqlite*`, run `mailtrail check`, recover the file as docs/operations.md "A damaged event log" says, then start again',
  },
  {
    code: 'ERR_EVENTLOG_LOCKED',
    class: 'EventLogLockedError',
    extends: 'MailtrailError',
    smtp: ['451 4.3.0'],
    meaning:
      'another mailtrail daemon with the same `node` name writes to this PostgreSQL event log; it names that session',
    action:
      '`mailtrail run` exits 75: stop the other daemon or give this one its own `node` name; a running daemon that lost the lock answers 451 until restarted',
  },
  {
    code: 'ERR_OUTCOME_NOT_RECORDED',
    class: 'OutcomeNotRecordedError',
    extends: 'MailtrailError',
    meaning:
      "the log refused a message's delivery outcomes (or its PoliciesApplied) on every try for about 20 s; the daemon stops rather than lose track (Postfix's deliver_completed), and the message keeps its last recorded state",
    action:
      '`mailtrail run` exits 75: fix the log (disk space, the PostgreSQL server) and start again; the message is taken up again (an attempt without recorded outcomes is made again)',
  },
  // --- starting the daemon ----------------------------------------------------------------
  {
    code: 'ERR_DIRECTORY_LOCKED',
    class: 'DirectoryLockedError',
    extends: 'MailtrailError',
    meaning:
      "another process holds `<dataDir>/mailtrail.lock` (or the lock beside `eventLog.path`): a second daemon on the same data; it names the holder's pid",
    action: '`mailtrail run` exits 75 before recovery: stop the other daemon, or give this one its own `dataDir`',
  },
  {
    code: 'ERR_DIRECTORY_LOCK',
    class: 'DirectoryLockError',
    extends: 'MailtrailError',
    meaning: 'the lock file could not be created or opened (permissions, a read-only disk)',
    action: '`mailtrail run` exits 73: make `dataDir` writable by the user the daemon starts as',
  },
  {
    code: 'ERR_DIRECTORY_CREATE',
    class: 'DirectoryCreateError',
    extends: 'MailtrailError',
    meaning:
      'a directory the configuration names (`dataDir`, the directory of `eventLog.path`, a Maildir `root`) cannot be made at start: a file stands there, no permission, a read-only or full disk; names the key, the file and the reason',
    action: '`mailtrail run` exits 73: move the file away, create the directory for that user, or choose another one',
  },
  {
    code: 'ERR_LISTEN',
    class: 'ListenError',
    extends: 'MailtrailError',
    meaning:
      'the SMTP edge cannot listen on an address of `smtp.listen`: in use by another program, not an address of this host, or a port below 1024 without root; names the address and the reason',
    action: '`mailtrail run` exits 70: stop the other program, correct `smtp.listen`, or start as root with `user` set',
  },
  {
    code: 'ERR_NOT_WRITABLE',
    class: 'NotWritableError',
    extends: 'MailtrailError',
    meaning:
      'after the privilege drop, the mail user cannot write a path the daemon must write (`dataDir`, `spool/`, the log, a Maildir root), or it could not be given to that user; names the path, its owner and mode',
    action: '`mailtrail run` exits 73: run the `chown` the message gives',
  },
  {
    code: 'ERR_EVENTLOG_MISSING',
    class: 'EventLogMissingError',
    extends: 'MailtrailError',
    meaning:
      'refused start: the event log is missing, empty (0 bytes) or records no message while `spool/bodies/` holds bodies; nothing was changed',
    action:
      'put the log back (or `eventLog.path`); if it is lost, `mailtrail requeue --from-spool` rebuilds the queue from the envelopes kept with the bodies; `mailtrail run` exits 66',
  },
  // --- the control socket and the CLI -----------------------------------------------------
  {
    code: 'ERR_CONTROL_SOCKET_IN_USE',
    class: 'ControlSocketInUseError',
    extends: 'MailtrailError',
    meaning: 'another daemon listens on `<dataDir>/control.sock`, or a file that is not a socket is there',
    action: 'stop the other daemon, or remove the stray file; start-up fails until then',
  },
  {
    code: 'ERR_DAEMON_NOT_RUNNING',
    class: 'DaemonNotRunningError',
    extends: 'MailtrailError',
    meaning: 'no daemon listens on the control socket',
    action: 'none: the CLI then appends to the log itself',
  },
  {
    code: 'ERR_CONTROL',
    class: 'ControlError',
    extends: 'MailtrailError',
    meaning: 'the control socket did not answer within 15 s, or answered with garbage',
    action: 'look at the daemon (its log, `systemctl status`); the CLI does not fall back to the log then',
  },
  {
    code: 'ERR_CONTROL_BAD_REQUEST',
    class: 'ControlProtocolError',
    extends: 'MailtrailError',
    meaning: 'a control request that is not JSON, names an unknown op, or lacks the id',
    action: 'fix the request (see docs/cli.md, "Control socket")',
  },
  {
    code: 'ERR_CONTROL_NOT_FOUND',
    meaning: 'control reply: the daemon holds no live message with that id',
    action: 'check the id with `mailtrail queue --all`',
  },
  {
    code: 'ERR_CONTROL_REFUSED',
    meaning:
      "control reply: the message machine does not accept the command in the message's state (the reply names the state and says what to do instead), or `enqueue` got a message over `smtp.maxMessageSize`",
    action:
      'do what the reply says (for example release a held message first); the accepted states are in docs/cli.md, "Operator commands"',
  },
  {
    code: 'ERR_CONTROL_INTERNAL',
    meaning: 'control reply: anything else, for example a failed log append',
    action: "read the daemon's log line for the request",
  },
  {
    code: 'ERR_USAGE',
    class: 'UsageError',
    extends: 'MailtrailError',
    meaning: 'a CLI usage error: missing id, unknown option, no event log at the configured path',
    action: 'fix the command line; exit code 64',
  },
  {
    code: 'ERR_GRAPHVIZ_MISSING',
    class: 'GraphvizMissingError',
    extends: 'MailtrailError',
    meaning:
      '`mailtrail machines export --format svg` or `mailtrail history <id> --diagram --format svg` found no Graphviz `dot` on PATH',
    action:
      'install Graphviz (Debian: `apt-get install graphviz`) or use `--format dot`; the command exits 69 (EX_UNAVAILABLE)',
  },
];

/** The codes the catalogue knows. */
export const errorCodes: ReadonlySet<string> = new Set(errorCatalogue.map((e) => e.code));

/** The entry of a class, by name. */
export function errorEntryOf(className: string): ErrorEntry | undefined {
  return errorCatalogue.find((e) => e.class === className);
}

/** The entry as the row docs/errors.md shows for it. */
export function errorRow(e: ErrorEntry): string {
  const cls = e.class ? `\`${e.class}\` (${e.extends})` : '— (reply only)';
  const smtp = e.smtp ? e.smtp.map((s) => `\`${s}\``).join(', ') : '—';
  return `| \`${e.code}\` | ${cls} | ${smtp} | ${e.meaning} | ${e.action} |`;
}
