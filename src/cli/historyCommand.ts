/**
 * `mailtrail history <id|message-ID|session-ID> [--json]`: the timeline of one message or SMTP
 * session, replayed from the log. Each entry has `type`, `state` (the machine state after it),
 * `at` and `data`. A message's history links to its session (client, HELO, TLS, auth), its
 * parent, its split children and its DSN; a session's to the messages it queued. `--diagram [--format mermaid|dot|svg]` prints the
 * machine's diagram with the path this history took highlighted (src/diagrams/historyDiagram.ts); the history itself is read by src/replay/history.ts.
 * Each entry names the node (daemon) that wrote it, when the event says (`node=mx1`).
 */
import { parseArgs } from 'node:util';
import { type History, type HistoryEntry, loadHistory } from '../replay/history.js';
import { commonOptions, configFrom, openEventLog, UsageError } from './openLog.js';

function describe(e: HistoryEntry): string {
  const d = e.data;
  const parts: string[] = [];
  for (const key of [
    'sender',
    'recipient',
    'recipients',
    'helo',
    'remoteAddress',
    'attempt',
    'status',
    'reply',
    'reason',
    'nextAttemptAt',
    'messageId',
    'recovered',
    'leaseUntil',
  ]) {
    if (d[key] !== undefined && d[key] !== '')
      parts.push(`${key}=${Array.isArray(d[key]) ? (d[key] as unknown[]).join(',') : String(d[key])}`);
  }
  if (e.type === 'MessageReceived' && d.sender === '') parts.unshift('sender=<>');
  if (e.node) parts.push(`node=${e.node}`);
  return parts.join(' ');
}

async function printDiagram(history: History, format: 'mermaid' | 'dot' | 'svg'): Promise<number> {
  const { historyDiagram } = await import('../diagrams/historyDiagram.js');
  const { GraphvizMissingError } = await import('../diagrams/svg.js');
  try {
    process.stdout.write(await historyDiagram(history, format));
    return 0;
  } catch (err) {
    if (!(err instanceof GraphvizMissingError)) throw err;
    process.stderr.write(`mailtrail history: ${err.message}\n`);
    return 69;
  }
}

export const options = {
  ...commonOptions,
  diagram: { type: 'boolean' },
  format: { type: 'string', short: 'f' },
} as const;

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  const id = positionals[0];
  const usage =
    'usage: mailtrail history <id|message-ID|session-ID> [--json | --diagram [--format mermaid|dot|svg]] [--config FILE]';
  if (!id) throw new UsageError(usage);
  const format = values.format ?? 'mermaid';
  if (values.format !== undefined && !values.diagram) throw new UsageError(`--format goes with --diagram\n${usage}`);
  if (format !== 'mermaid' && format !== 'dot' && format !== 'svg')
    throw new UsageError(`unknown diagram format "${format}"\n${usage}`);
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
    for (const e of history.entries)
      process.stdout.write(`  ${e.at}  ${e.type.padEnd(18)} → ${e.state.padEnd(16)} ${describe(e)}\n`);
    history.links.forEach((id, i) => {
      const l = linked[i];
      if (!l) return;
      const first = l.entries[0];
      const role = history.roles[id] === 'dsn' ? 'DSN (bounce report)' : history.roles[id];
      process.stdout.write(
        `linked ${l.stream} (${role}): ${l.entries.length} events, now ${l.entries.at(-1)?.state ?? '?'}${first ? ` (${describe(first)})` : ''}\n`,
      );
    });
    return 0;
  } finally {
    await log.close();
  }
}
