/**
 * `mailtrail sendmail [-f SENDER] [-F NAME] [-t] [-i] [recipient...] < message`: the sendmail
 * interface for cron jobs and scripts on this host. Reads the message on stdin (a line with
 * only `.` ends it unless -i/-oi), takes the recipients from the arguments and, with -t, from
 * the To/Cc/Bcc headers; removes Bcc; adds From when missing. The message goes to the running
 * daemon through its control socket (`enqueue`, origin `local`), the analogue of Postfix's
 * pickup of maildrop/. With no daemon it is NOT queued: exit 75 (EX_TEMPFAIL), said plainly.
 * Silent on success unless -v. Exit codes: 0 queued, 64 usage, 65 refused, 75 no daemon,
 * 77 not allowed on the control socket (mode 0600: root and the daemon's user), 70 else.
 */
import { userInfo } from 'node:os';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import type { Config } from '../config/index.js';
import { ControlError, DaemonNotRunningError, sendControl } from '../control/controlClient.js';
import { ControlCodes, controlSocketPath, isEnvelopeAddress, MAX_ENQUEUE_RECIPIENTS } from '../control/protocol.js';
import { configFrom, UsageError } from './openLog.js';

const TIMEOUT_MS = 120_000;

/** For `--help` and the docs test; the sendmail flags are parsed by hand (sendmailArgs). */
export const options = { config: { type: 'string', short: 'c' } } as const;

export interface SendmailArgs {
  readonly sender?: string;
  readonly fullName?: string;
  readonly extract: boolean;
  readonly dotEnds: boolean;
  readonly verbose: boolean;
  readonly config?: string;
  readonly recipients: readonly string[];
}

const USAGE = 'usage: mailtrail sendmail [-f SENDER] [-F NAME] [-t] [-i] [-v] [--config FILE] [recipient...] < message';

/** Sendmail's flags: `-fADDR` or `-f ADDR`; `-o*`, `-B TYPE`, `-bm`, `-od*`, `-N` and `-R` are accepted and ignored. */
export function sendmailArgs(args: readonly string[]): SendmailArgs {
  let sender: string | undefined;
  let fullName: string | undefined;
  let config: string | undefined;
  let extract = false;
  let dotEnds = true;
  let verbose = false;
  const recipients: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    const value = (flag: string): string => {
      if (a.length > flag.length) return a.slice(flag.length);
      const next = args[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value\n${USAGE}`);
      return next;
    };
    if (a === '--') {
      recipients.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      recipients.push(a);
      continue;
    }
    if (a === '--config' || a === '-c' || a === '-C') config = value(a);
    else if (a.startsWith('--config=')) config = a.slice('--config='.length);
    else if (a.startsWith('-f') || a.startsWith('-r')) sender = value(a.slice(0, 2));
    else if (a.startsWith('-F')) fullName = value('-F');
    else if (a === '-t') extract = true;
    else if (a === '-i' || a === '-oi') dotEnds = false;
    else if (a === '-v') verbose = true;
    else if (a.startsWith('-B') || a.startsWith('-N') || a.startsWith('-R')) value(a.slice(0, 2));
    else if (a.startsWith('-o') || a === '-bm' || a === '-U') continue;
    else throw new UsageError(`unsupported option ${a}\n${USAGE}`);
  }
  return {
    ...(sender !== undefined ? { sender } : {}),
    ...(fullName !== undefined ? { fullName } : {}),
    ...(config !== undefined ? { config } : {}),
    extract,
    dotEnds,
    verbose,
    recipients,
  };
}

/** `bob`, `<bob@x>`, `Bob <bob@x>` → `bob@x`; a bare name gets `@hostname`, as Postfix appends $myorigin. */
export function envelopeAddress(text: string, hostname: string): string {
  const parsed = addressparser(text, { flatten: true })[0];
  const address = (parsed?.address || text).trim().replace(/^<(.*)>$/, '$1');
  return address.includes('@') ? address : `${address}@${hostname}`;
}

export interface PreparedMessage {
  readonly content: Buffer;
  /** Addresses from To, Cc and Bcc (for -t). */
  readonly headerRecipients: readonly string[];
}

const HEADER_LINE = /^[!-9;-~]+:/;

/**
 * stdin → the message as the spool keeps it: CRLF line ends, input ended by a lone `.` when
 * `dotEnds`, Bcc removed, `From:` added when missing (for a non-null sender).
 */
export function prepareMessage(input: Buffer, o: { dotEnds: boolean; from?: string }): PreparedMessage {
  let lines = input
    .toString('latin1')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  if (o.dotEnds) {
    const dot = lines.indexOf('.');
    if (dot >= 0) lines = lines.slice(0, dot);
  }
  let end = 0;
  while (end < lines.length && (HEADER_LINE.test(lines[end]!) || (end > 0 && /^[ \t]/.test(lines[end]!)))) end += 1;
  const fields: string[][] = [];
  for (const line of lines.slice(0, end)) {
    if (/^[ \t]/.test(line) && fields.length > 0) fields.at(-1)!.push(line);
    else fields.push([line]);
  }
  const nameOf = (f: string[]): string => f[0]!.slice(0, f[0]!.indexOf(':')).trim().toLowerCase();
  const fieldValue = (f: string[]): string =>
    Buffer.from(f.join(' ').slice(f[0]!.indexOf(':') + 1), 'latin1').toString('utf8');
  const headerRecipients = fields
    .filter((f) => ['to', 'cc', 'bcc'].includes(nameOf(f)))
    .flatMap((f) =>
      addressparser(fieldValue(f), { flatten: true })
        .map((a) => a.address)
        .filter(Boolean),
    );
  const kept = fields.filter((f) => nameOf(f) !== 'bcc');
  if (o.from !== undefined && !kept.some((f) => nameOf(f) === 'from')) kept.push([`From: ${o.from}`]);
  const body = lines[end] === '' ? lines.slice(end + 1) : lines.slice(end);
  const text = [...kept.flat(), '', ...body].map((l) => `${l}\r\n`).join('');
  return { content: Buffer.from(text, 'latin1'), headerRecipients };
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function senderOf(a: SendmailArgs, config: Config): string {
  if (a.sender === undefined) return `${userInfo().username}@${config.hostname}`;
  if (a.sender === '' || a.sender === '<>') return '';
  return envelopeAddress(a.sender, config.hostname);
}

export async function run(args: readonly string[]): Promise<number> {
  const a = sendmailArgs(args);
  const config = await configFrom(a.config === undefined ? {} : { config: a.config });
  const sender = senderOf(a, config);
  if (sender !== '' && !isEnvelopeAddress(sender)) throw new UsageError(`not an address: -f ${a.sender}`);
  const from =
    sender === '' ? undefined : a.fullName ? `"${a.fullName.replace(/["\\\r\n]/g, '')}" <${sender}>` : sender;
  const message = prepareMessage(await readStdin(), { dotEnds: a.dotEnds, ...(from !== undefined ? { from } : {}) });
  const named = a.recipients
    .flatMap((r) => r.split(','))
    .map((r) => r.trim())
    .filter(Boolean);
  const recipients = [
    ...new Set(
      [...named, ...(a.extract ? message.headerRecipients : [])].map((r) => envelopeAddress(r, config.hostname)),
    ),
  ];
  if (recipients.length === 0)
    throw new UsageError(`no recipients: name them, or use -t to take them from To, Cc and Bcc\n${USAGE}`);
  const bad = recipients.filter((r) => !isEnvelopeAddress(r));
  if (bad.length > 0) throw new UsageError(`not an address: ${bad.join(', ')}`);
  if (recipients.length > MAX_ENQUEUE_RECIPIENTS)
    throw new UsageError(`at most ${MAX_ENQUEUE_RECIPIENTS} recipients per message`);
  const path = controlSocketPath(config.dataDir);
  let reply;
  try {
    reply = await sendControl(
      path,
      { op: 'enqueue', sender, recipients, size: message.content.length },
      TIMEOUT_MS,
      message.content,
    );
  } catch (err) {
    if (err instanceof ControlError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'EACCES') {
      process.stderr.write(
        `mailtrail sendmail: the message was NOT queued: permission denied on ${path} (mode 0600): only root and the daemon's user can queue mail this way.\n`,
      );
      return 77;
    }
    if (!(err instanceof DaemonNotRunningError)) throw err;
    process.stderr.write(
      `mailtrail sendmail: the message was NOT queued: the daemon is not running (nobody listens on ${path}). Start it (mailtrail run) and send again.\n`,
    );
    return 75;
  }
  if (!reply.ok) {
    process.stderr.write(`mailtrail sendmail: the message was NOT queued: ${reply.error}\n`);
    return reply.code === ControlCodes.refused ? 65 : 70;
  }
  if (a.verbose) process.stderr.write(`mailtrail sendmail: queued as ${reply.id}\n`);
  return 0;
}
