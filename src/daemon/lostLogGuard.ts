/**
 * The start-up guard against a lost event log. The log is the queue's only index; when it is
 * missing, empty (truncated to 0 bytes, `eventLog.path` pointed at a new file) or holds no
 * message at all while the spool still holds bodies, a normal start would count every body as
 * unknown. The daemon refuses instead (EventLogMissingError, exit 66 EX_NOINPUT), naming the
 * log, the spool and the way out (docs/operations.md, "A lost or empty event log").
 * The sqlite check runs before the file is opened, so a missing log is not created empty.
 */
import { existsSync, statSync } from 'node:fs';
import { MailtrailError } from '../errors/mailtrailError.js';
import type { EventLog } from '../eventlog/eventLog.js';
import type { Spool } from '../spool/spool.js';
import { MESSAGE_STREAM_PREFIX } from '../mail/streamNames.js';

/** The exit status of a refused start (sysexits EX_NOINPUT: an input file is missing). */
export const LOST_LOG_EXIT = 66;

export class EventLogMissingError extends MailtrailError {
  readonly logPath: string;
  readonly bodiesPath: string;
  constructor(logPath: string, bodiesPath: string, bodies = '?', how = 'missing', configFile = '') {
    const config = configFile ? ` --config ${configFile}` : '';
    super(
      'ERR_EVENTLOG_MISSING',
      `refusing to start: the event log ${logPath} is ${how}, but the spool ${bodiesPath} holds ${bodies} message bodies; ` +
        `starting would treat all of them as unknown. If the log was moved or eventLog.path changed, put it back. ` +
        `If the log is lost, rebuild the queue from the envelopes stored with the bodies: mailtrail requeue --from-spool${config} ` +
        `(docs/operations.md, "A lost or empty event log").`,
    );
    this.logPath = logPath;
    this.bodiesPath = bodiesPath;
  }
}

/** Before the sqlite log is opened: a missing or 0-byte file while bodies are spooled. */
export async function refuseMissingSqliteLog(path: string, spool: Spool, configFile?: string): Promise<void> {
  const how = !existsSync(path) ? 'missing' : statSync(path).size === 0 ? 'empty (0 bytes)' : undefined;
  if (how === undefined) return;
  const bodies = (await spool.list()).length;
  if (bodies > 0) throw new EventLogMissingError(path, spool.bodiesDir, String(bodies), how, configFile);
}

/**
 * After any log is opened: one that records no message while bodies are spooled. Cheap on a
 * full queue (it runs before the edge listens): `recordsMessage`, when given (the sqlite
 * projection's one-row look-up), settles it at once; otherwise one body name is read, then one
 * event. Bodies are counted only for the refusal.
 */
export async function refuseEmptyLog(
  log: EventLog,
  where: string,
  spool: Spool,
  configFile?: string,
  recordsMessage?: () => boolean,
): Promise<void> {
  if (recordsMessage?.()) return;
  if (!(await spool.hasBodies())) return;
  for await (const _ of log.readAll({ filter: { streamPrefixes: [MESSAGE_STREAM_PREFIX] }, maxCount: 1 })) return;
  const bodies = (await spool.list()).length;
  throw new EventLogMissingError(where, spool.bodiesDir, String(bodies), 'empty (it records no message)', configFile);
}
