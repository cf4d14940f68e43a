/**
 * `mailtrail history <message-id|session-id> [--json]`: the timeline of one message or SMTP
 * session, replayed from the log. Each entry has `type`, `state` (the machine state after it),
 * `at` and `data`. A message's history links to its session (client, HELO, TLS, auth) and a
 * session's to the messages it queued. `--diagram [--format mermaid|dot|svg]` prints the
 * machine's diagram with the path this history took highlighted (src/machines/historyDiagram.ts).
 */
import { parseArgs } from 'node:util';
import type { EventLog, RecordedEvent } from '../eventlog/eventLog.js';
import { commonOptions, configFrom, openEventLog, UsageError } from './openLog.js';

export interface HistoryEntry {
  readonly revision: string;
  readonly type: string;
  readonly state: string;
  readonly at: string;
  readonly data: Record<string, unknown>;
}

export interface History {
  readonly stream: string;
  readonly kind: 'message' | 'session';
  readonly entries: readonly HistoryEntry[];
  readonly links: readonly string[];
}

async function readEntries(log: EventLog, stream: string): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  for await (const e of log.readStream(stream)) out.push(entryOf(e));
  return out;
}

function entryOf(e: RecordedEvent): HistoryEntry {
  const data = e.data as Record<string, unknown>;
  return { revision: String(e.revision), type: e.type, state: String(e.metadata.state ?? ''), at: typeof data.at === 'string' ? data.at : e.recordedAt, data };
}

export async function loadHistory(log: EventLog, id: string): Promise<History | undefined> {
  for (const kind of ['message', 'session'] as const) {
    const stream = `${kind}-${id}`;
    const entries = await readEntries(log, stream);
    if (entries.length === 0) continue;
    const links =
      kind === 'message'
        ? [entries[0]?.data.sessionId, entries[0]?.data.parentId].filter((x): x is string => typeof x === 'string')
        : entries.filter((e) => e.type === 'MessageAccepted').map((e) => String(e.data.messageId));
    return { stream, kind, entries, links };
  }
  return undefined;
}

function describe(e: HistoryEntry): string {
  const d = e.data;
  const parts: string[] = [];
  for (const key of ['sender', 'recipient', 'recipients', 'helo', 'remoteAddress', 'attempt', 'status', 'reply', 'reason', 'nextAttemptAt', 'messageId', 'recovered']) {
    if (d[key] !== undefined && d[key] !== '') parts.push(`${key}=${Array.isArray(d[key]) ? (d[key] as unknown[]).join(',') : String(d[key])}`);
  }
  if (e.type === 'MessageReceived' && d.sender === '') parts.unshift('sender=<>');
  return parts.join(' ');
}

async function printDiagram(history: History, format: 'mermaid' | 'dot' | 'svg'): Promise<number> {
  const { historyDiagram } = await import('../machines/historyDiagram.js');
  const { GraphvizMissingError } = await import('../machines/svg.js');
  try {
    process.stdout.write(await historyDiagram(history, format));
    return 0;
  } catch (err) {
    if (!(err instanceof GraphvizMissingError)) throw err;
    process.stderr.write(`mailtrail history: ${err.message}\n`);
    return 69;
  }
}

export async function run(args: readonly string[]): Promise<number> {
  const options = { ...commonOptions, diagram: { type: 'boolean' }, format: { type: 'string', short: 'f' } } as const;
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  const id = positionals[0];
  const usage = 'usage: mailtrail history <message-id|session-id> [--json | --diagram [--format mermaid|dot|svg]] [--config FILE]';
  if (!id) throw new UsageError(usage);
  const format = values.format ?? 'mermaid';
  if (values.format !== undefined && !values.diagram) throw new UsageError(`--format goes with --diagram\n${usage}`);
  if (format !== 'mermaid' && format !== 'dot' && format !== 'svg') throw new UsageError(`unknown diagram format "${format}"\n${usage}`);
  const log = await openEventLog(await configFrom(values));
  try {
    const history = await loadHistory(log, id);
    if (!history) {
      process.stderr.write(`mailtrail history: no message or session ${id}\n`);
      return 1;
    }
    if (values.diagram) return await printDiagram(history, format);
    const linked = await Promise.all(history.links.map((l) => loadHistory(log, l)));
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...history, linked: linked.filter(Boolean) }, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`${history.stream}\n`);
    for (const e of history.entries) process.stdout.write(`  ${e.at}  ${e.type.padEnd(18)} → ${e.state.padEnd(16)} ${describe(e)}\n`);
    for (const l of linked) {
      if (!l) continue;
      const first = l.entries[0];
      process.stdout.write(`linked ${l.stream}: ${l.entries.length} events, now ${l.entries.at(-1)?.state ?? '?'}${first ? ` (${describe(first)})` : ''}\n`);
    }
    return 0;
  } finally {
    await log.close();
  }
}
