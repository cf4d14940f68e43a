/**
 * Logging through pino: one root logger per daemon, child loggers per session and message
 * carrying `sessionId` / `messageId`. Message content and secrets (redaction.ts, the list the
 * inspector uses too) are removed from every line (only listed fields are logged for clients). `pretty: true` rewrites each JSON
 * line for a human (prettyStream.ts, no pino-pretty). A `destination` path is a file, appended
 * to (mode 0640) and reopened by `reopenLogFile()` (SIGHUP, after logrotate moved it); a failed
 * write or reopen is reported on stderr, never thrown.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { prettyStream } from './prettyStream.js';
import { stripListedFields } from './fieldStripper.js';

export type { Logger } from 'pino';

export const silentLogger: Logger = pino({ enabled: false });

type Destination = ReturnType<typeof pino.destination>;
const files = new WeakMap<Logger, Destination>();

export function createLogger(
  options: { level?: string; pretty?: boolean; destination?: number | string } = {},
): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'mailtrail' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The redaction list, removed in one walk per line (fieldStripper.ts), not ~150 redact paths.
    formatters: { log: stripListedFields },
  };
  const toFile = typeof options.destination === 'string';
  const destination = pino.destination({
    dest: options.destination ?? 1,
    sync: false,
    ...(toFile ? { mode: 0o640 } : {}),
  });
  if (toFile)
    destination.on('error', (err: Error) =>
      process.stderr.write(`mailtrail: log file ${String(options.destination)}: ${err.message}\n`),
    );
  const logger = pino(config, options.pretty ? prettyStream(destination) : destination);
  if (toFile) files.set(logger, destination);
  return logger;
}

/** Reopens the logger's file (same path), if it writes to one: logrotate's `postrotate` sends SIGHUP. */
export function reopenLogFile(logger: Logger): boolean {
  const destination = files.get(logger);
  if (!destination) return false;
  destination.reopen();
  return true;
}
