/**
 * `mailtrail queue [--json] [--all]`: the queue as Postfix's `mailq` shows it, read from the
 * sqlite log's `messages` projection (read-only, safe while the daemon runs), or folded from the
 * message streams of a PostgreSQL log. One block per
 * message: id, state, size, age, attempts, next attempt, then sender, each recipient with its
 * status, who held a held message and why (its last MessageHeld), and the last reason.
 * `--all` adds final messages, most recent first. `--summary`
 * prints counts by state and a qshape-like table of the live messages instead (queueShape.ts).
 */
import { parseArgs } from 'node:util';
import type { EventLog } from '../eventlog/eventLog.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { messageStream } from '../mail/streamNames.js';
import type { MessageSummary, RecipientSummary } from '../readmodel/messageSummary.js';
import { formatAge, messageSummaries, summaryJson } from './messageStore.js';
import { commonOptions, configFrom, openEventLog, UsageError } from './openLog.js';
import { formatShape, queueShape, shapeJson, stateCounts } from './queueShape.js';

export const options = {
  ...commonOptions,
  all: { type: 'boolean', short: 'a' },
  summary: { type: 'boolean', short: 's' },
} as const;

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  if (positionals.length > 0)
    throw new UsageError('usage: mailtrail queue [--json] [--all] [--summary] [--config FILE]');
  const log = await openEventLog(await configFrom(values));
  try {
    const messages = await messageSummaries(log, values.all ?? false);
    const now = Date.now();
    if (values.summary) {
      const live = values.all ? await messageSummaries(log, false) : messages;
      const byState =
        log instanceof SqliteEventLog && hasMessagesTable(log.database)
          ? stateCounts(log.database)
          : countStates(await messageSummaries(log, true));
      const shape = queueShape(live, byState, now);
      process.stdout.write(values.json ? `${JSON.stringify(shapeJson(shape), null, 2)}\n` : formatShape(shape));
      return 0;
    }
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify(
          messages.map((m) => summaryJson(m, now)),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    process.stdout.write(formatQueue(messages, now, values.all ?? false, await holdsOf(log, messages)));
    return 0;
  } finally {
    await log.close();
  }
}

/** Who held a held message and why: its last MessageHeld (an operator's `hold`, or the queue's own for a damaged body). */
export interface Hold {
  readonly by?: string;
  readonly reason?: string;
}

/** The holds of the held messages among `messages`, read from their streams (a few events each). */
async function holdsOf(log: EventLog, messages: readonly MessageSummary[]): Promise<Map<string, Hold>> {
  const holds = new Map<string, Hold>();
  for (const m of messages) {
    if (m.state !== 'held') continue;
    let last: Record<string, unknown> | undefined;
    for await (const e of log.readStream(messageStream(m.id))) if (e.type === 'MessageHeld') last = e.data;
    if (!last) continue;
    holds.set(m.id, {
      ...(typeof last.by === 'string' ? { by: last.by } : {}),
      ...(typeof last.reason === 'string' ? { reason: last.reason } : {}),
    });
  }
  return holds;
}

export function formatQueue(
  messages: readonly MessageSummary[],
  now: number,
  all: boolean,
  holds: ReadonlyMap<string, Hold> = new Map(),
): string {
  if (messages.length === 0) return all ? 'No messages in the log\n' : 'Mail queue is empty\n';
  const blocks = messages.map((m) => formatMessage(m, now, holds.get(m.id)));
  const bytes = messages.reduce((n, m) => n + m.size, 0);
  const byState = new Map<string, number>();
  for (const m of messages) byState.set(m.state, (byState.get(m.state) ?? 0) + 1);
  const states = [...byState].map(([s, n]) => `${n} ${s}`).join(', ');
  return `${blocks.join('\n')}\n-- ${messages.length} message${messages.length === 1 ? '' : 's'}, ${bytes} bytes (${states})\n`;
}

const hasMessagesTable = (db: SqliteEventLog['database']): boolean =>
  db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'`).get() !== undefined;

function countStates(messages: readonly MessageSummary[]): Array<[string, number]> {
  const byState = new Map<string, number>();
  for (const m of messages) byState.set(m.state, (byState.get(m.state) ?? 0) + 1);
  return [...byState];
}

function formatMessage(m: MessageSummary, now: number, hold: Hold | undefined): string {
  const head = [
    m.id.padEnd(22),
    m.state.padEnd(16),
    `${m.size} bytes`,
    `age ${formatAge(now - Date.parse(m.receivedAt))}`,
    `attempts ${m.attempts}`,
  ];
  if (m.state === 'held') head.push('on hold: no attempts until `mailtrail release`');
  else if (m.nextAttemptAt && m.finalAt === null) head.push(`next ${nextAttempt(m.nextAttemptAt, now)}`);
  if (m.finalAt) head.push(`final ${m.finalAt}`);
  const lines = [
    head.join('  '),
    `  from <${m.sender}>${m.origin !== 'smtp' ? ` (${m.origin}${m.parentId ? ` of ${m.parentId}` : ''})` : ''}`,
  ];
  const width = Math.max(...m.recipients.map((r) => r.address.length)) + 2;
  for (const r of m.recipients)
    lines.push(`  to   ${`<${r.address}>`.padEnd(width)}  ${recipientStatus(r, m.lastReason)}`);
  if (m.state === 'held' && (hold?.by || hold?.reason))
    lines.push(`  held${hold.by ? ` by ${hold.by}` : ''}${hold.reason ? `: ${hold.reason}` : ''}`);
  if (m.lastReason) lines.push(`  reason: ${m.lastReason}`);
  return `${lines.join('\n')}\n`;
}

function recipientStatus(r: RecipientSummary, lastReason: string | null): string {
  const parts: string[] = [r.status];
  if (r.dsn) parts.push(r.dsn);
  if (r.reply && r.reply !== lastReason) parts.push(`(${r.reply})`);
  return parts.join(' ');
}

function nextAttempt(at: string, now: number): string {
  const ms = Date.parse(at) - now;
  return ms <= 0 ? `due (${at})` : `in ${formatAge(ms)} (${at})`;
}
