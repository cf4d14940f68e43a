/**
 * `mailtrail history <id|message-ID|session-ID> [--json]`: the timeline of one message or SMTP
 * session, replayed from the log. Each entry has `type`, `state` (the machine state after it),
 * `at` and `data`. A message's history links to its session (client, HELO, TLS, auth), its
 * parent, its split children and its DSN; a session's to the messages it queued. `--diagram [--format mermaid|dot|svg]` prints the
 * machine's diagram with the path this history took highlighted (src/machines/historyDiagram.ts).
 * Each entry names the node (daemon) that wrote it, when the event says (`node=mx1`).
 */
import { parseArgs } from 'node:util';
import type { EventLog, RecordedEvent } from '../eventlog/eventLog.js';
import { dsnIdFor } from '../queue/queueId.js';
import { messageStream } from '../mail/streamNames.js';
import { parseHistoryName } from '../replay/historyName.js';
import { commonOptions, configFrom, openEventLog, UsageError } from './openLog.js';

export interface HistoryEntry {
  readonly revision: string;
  readonly type: string;
  readonly state: string;
  readonly at: string;
  readonly data: Record<string, unknown>;
  /** The daemon (config `node`) that wrote the event, when it says. */
  readonly node?: string;
}

export interface History {
  readonly stream: string;
  readonly kind: 'message' | 'session';
  readonly entries: readonly HistoryEntry[];
  /** Ids of the linked messages and sessions. */
  readonly links: readonly string[];
  /** What each link is to this history: session, parent, child, dsn, message. */
  readonly roles: Readonly<Record<string, string>>;
}

async function readEntries(log: EventLog, stream: string): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  for await (const e of log.readStream(stream)) out.push(entryOf(e));
  return out;
}

function entryOf(e: RecordedEvent): HistoryEntry {
  const data = e.data as Record<string, unknown>;
  const node = typeof e.metadata.node === 'string' ? { node: e.metadata.node } : {};
  return { revision: String(e.revision), type: e.type, state: String(e.metadata.state ?? ''), at: typeof data.at === 'string' ? data.at : e.recordedAt, data, ...node };
}

async function streamExists(log: EventLog, stream: string): Promise<boolean> {
  for await (const _ of log.readStream(stream)) return true;
  return false;
}

/** A message's links: its session, its parent, its split children and its DSN (read from the log, by the DSN's derived id). */
async function messageLinks(log: EventLog, id: string, entries: readonly HistoryEntry[]): Promise<Record<string, string>> {
  const roles: Record<string, string> = {};
  const first = entries[0]?.data;
  if (typeof first?.sessionId === 'string') roles[first.sessionId] = 'session';
  if (typeof first?.parentId === 'string') roles[first.parentId] = first.origin === 'dsn' ? 'bounced message' : 'parent';
  for (const e of entries) {
    if (e.type !== 'MessageSplit' || !Array.isArray(e.data.children)) continue;
    for (const c of e.data.children as { messageId?: unknown }[]) if (typeof c.messageId === 'string') roles[c.messageId] = 'split child';
  }
  const dsn = dsnIdFor(id);
  if (await streamExists(log, messageStream(dsn))) roles[dsn] = 'dsn';
  return roles;
}

export async function loadHistory(log: EventLog, name: string): Promise<History | undefined> {
  const { kinds, id } = parseHistoryName(name);
  for (const kind of kinds) {
    const stream = `${kind}-${id}`;
    const entries = await readEntries(log, stream);
    if (entries.length === 0) continue;
    const roles: Record<string, string> = kind === 'message'
      ? await messageLinks(log, id, entries)
      : Object.fromEntries(entries.filter((e) => e.type === 'MessageAccepted').map((e) => [String(e.data.messageId), 'message']));
    return { stream, kind, entries, links: Object.keys(roles), roles };
  }
  return undefined;
}

function describe(e: HistoryEntry): string {
  const d = e.data;
  const parts: string[] = [];
  for (const key of ['sender', 'recipient', 'recipients', 'helo', 'remoteAddress', 'attempt', 'status', 'reply', 'reason', 'nextAttemptAt', 'messageId', 'recovered', 'leaseUntil']) {
    if (d[key] !== undefined && d[key] !== '') parts.push(`${key}=${Array.isArray(d[key]) ? (d[key] as unknown[]).join(',') : String(d[key])}`);
  }
  if (e.type === 'MessageReceived' && d.sender === '') parts.unshift('sender=<>');
  if (e.node) parts.push(`node=${e.node}`);
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

export const options = { ...commonOptions, diagram: { type: 'boolean' }, format: { type: 'string', short: 'f' } } as const;

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  const id = positionals[0];
  const usage = 'usage: mailtrail history <id|message-ID|session-ID> [--json | --diagram [--format mermaid|dot|svg]] [--config FILE]';
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
    history.links.forEach((id, i) => {
      const l = linked[i];
      if (!l) return;
      const first = l.entries[0];
      const role = history.roles[id] === 'dsn' ? 'DSN (bounce report)' : history.roles[id];
      process.stdout.write(`linked ${l.stream} (${role}): ${l.entries.length} events, now ${l.entries.at(-1)?.state ?? '?'}${first ? ` (${describe(first)})` : ''}\n`);
    });
    return 0;
  } finally {
    await log.close();
  }
}
