/**
 * `mailtrail search [--from A] [--to A] [--subject TEXT] [--since 2h|ISO] [--state S[,S]] [--session ID]
 * [--limit N] [--json]`: messages by envelope from the `message_search` index (indexed
 * queries, newest first), never a replay of history. Subjects are recorded at receipt
 * (MessageReceived.subject); for messages queued before that, the subject is read lazily from
 * the spooled body's header block, only for rows the index already selected; such a
 * candidate whose body left the spool cannot match --subject.
 */
import { parseArgs } from 'node:util';
import type Database from 'better-sqlite3';
import type { Config } from '../config/index.js';
import {
  type Found,
  hasSearchIndex,
  parseAddressPattern,
  searchPage,
  type SearchCriteria,
  type SearchRow,
} from '../readmodel/messageSearch.js';
import { bodyPathOf } from './messageStore.js';
import { idForInlineRef, isInlineRef } from '../spool/inlineBodies.js';
import { checkValues, searchStates } from './knownValues.js';
import { commonOptions, configFrom, openEventLog, openLogReadonly, UsageError } from './openLog.js';
import { searchSharedLog } from './sharedSearch.js';
import { readMessageHeaders, type MessageHeaders } from './subjectReader.js';

const USAGE =
  'usage: mailtrail search [--from ADDR] [--to ADDR] [--subject TEXT] [--since DURATION|ISO] [--state STATE[,STATE]] [--session ID] [--limit N] [--json] [--config FILE]';

export const options = {
  ...commonOptions,
  from: { type: 'string' },
  to: { type: 'string' },
  subject: { type: 'string' },
  since: { type: 'string' },
  state: { type: 'string', multiple: true },
  session: { type: 'string' },
  limit: { type: 'string' },
} as const;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `15m`, `2h`, `3d`, `1w` before `now`, or an ISO-8601 time → ISO-8601 (UTC). */
export function parseSince(text: string, now: number): string {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (m) return new Date(now - Number(m[1]) * UNITS[m[2]!]!).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new UsageError(`--since takes a duration (30m, 2h, 3d) or an ISO-8601 time, not "${text}"`);
  return new Date(t).toISOString();
}

/** Index rows, newest first, with the subject filled in (read lazily) and --subject applied. */
export async function findMessages(
  config: Config,
  db: Database.Database,
  c: SearchCriteria,
  limit: number,
): Promise<{ found: Found[]; more: boolean }> {
  const refOf = db.prepare('SELECT body_ref FROM messages WHERE id = ?').pluck();
  const hasBodies =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bodies'").get() !== undefined;
  const inlineOf = hasBodies ? db.prepare('SELECT data FROM bodies WHERE id = ?').pluck() : { get: () => undefined };
  const headersOf = async (row: SearchRow): Promise<MessageHeaders | undefined> => {
    const ref = refOf.get(row.id) as string | undefined;
    if (!ref) return undefined;
    if (isInlineRef(ref)) {
      const bytes = inlineOf.get(idForInlineRef(ref)) as Buffer | undefined;
      return bytes ? readMessageHeaders(bytes) : undefined;
    }
    return readMessageHeaders(bodyPathOf(config, ref));
  };
  const needle = c.subject?.toLowerCase();
  const found: Found[] = [];
  let cursor: { receivedAt: string; id: string } | undefined;
  for (;;) {
    const page = searchPage(db, c, needle ? 200 : limit + 1, cursor);
    for (const row of page) {
      const headers = row.subject === null ? await headersOf(row) : undefined;
      const subject = row.subject ?? headers?.subject ?? null;
      if (needle && !(subject ?? '').toLowerCase().includes(needle)) continue;
      if (found.length === limit) return { found, more: true };
      found.push({
        ...row,
        subject,
        headerMessageId: row.headerMessageId ?? headers?.messageId ?? null,
        bodyInSpool: row.subject !== null || headers !== undefined,
      });
    }
    const last = page.at(-1);
    if (!needle || !last) return { found, more: false };
    cursor = { receivedAt: last.receivedAt, id: last.id };
  }
}

function line(f: Found): string {
  const to = f.recipients.map((r) => `<${r}>`).join(', ');
  const subject = f.subject !== null ? JSON.stringify(f.subject) : f.bodyInSpool ? '(no subject)' : '(body gone)';
  return `${f.id.padEnd(22)}  ${f.receivedAt}  ${f.state.padEnd(16)}  <${f.sender}> → ${to}  ${subject}`;
}

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(USAGE);
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit takes a positive number\n${USAGE}`);
  const criteria: SearchCriteria = {
    ...(values.from !== undefined ? { from: parseAddressPattern(values.from) } : {}),
    ...(values.to !== undefined ? { to: parseAddressPattern(values.to) } : {}),
    ...(values.since !== undefined ? { since: parseSince(values.since, Date.now()) } : {}),
    ...(values.state
      ? {
          states: checkValues(
            '--state',
            values.state
              .flatMap((s) => s.split(','))
              .map((s) => s.trim())
              .filter(Boolean),
            searchStates(),
          ),
        }
      : {}),
    ...(values.subject ? { subject: values.subject } : {}),
    ...(values.session ? { sessionId: values.session } : {}),
  };
  const config = await configFrom(values);
  if (config.eventLog.type === 'postgres') {
    // The shared log has no index: fold it (any node's CLI sees every node's messages).
    const shared = await openEventLog(config);
    try {
      return print(await searchSharedLog(shared, criteria, limit), values.json === true, limit);
    } finally {
      await shared.close();
    }
  }
  const log = await openLogReadonly(config);
  try {
    if (!hasSearchIndex(log.database)) {
      process.stderr.write(
        'mailtrail search: this log has no message_search index yet; start the daemon of this version once, or stop it and run `mailtrail rebuild-projections`\n',
      );
      return 69;
    }
    return print(await findMessages(config, log.database, criteria, limit), values.json === true, limit);
  } finally {
    await log.close();
  }
}

function print({ found, more }: { found: Found[]; more: boolean }, json: boolean, limit: number): number {
  if (json) {
    const rows = found.map((f) => ({
      id: f.id,
      receivedAt: f.receivedAt,
      state: f.state,
      sender: f.sender,
      recipients: f.recipients,
      subject: f.subject,
      messageId: f.headerMessageId,
      sessionId: f.sessionId,
      parentId: f.parentId,
      origin: f.origin,
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  for (const f of found) process.stdout.write(`${line(f)}\n`);
  const n = found.length;
  process.stdout.write(
    `-- ${n === 0 ? 'no' : n} message${n === 1 ? '' : 's'}${more ? ` (more match: raise --limit ${limit})` : ''}\n`,
  );
  return 0;
}
