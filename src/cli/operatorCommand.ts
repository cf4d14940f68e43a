/**
 * What `retry`, `hold`, `release`, `delete` and `bounce` share, as Postfix's postsuper: the
 * messages are named (`<id>...`), read from stdin (`-`: the first word of each line, so the
 * output of `mailtrail search` or `queue` pipes in) or selected (`--all`, narrowed by
 * `--to-domain`, `--from-domain`, `--state`) among the live messages whose state accepts the
 * command. While the daemon runs, each request goes through its control socket
 * (`<dataDir>/control.sock`) so its actors see it; when no daemon listens there, the events
 * are appended to the log directly (directAppend.ts). Refusals are in plain words.
 * Exit codes: 0 all recorded, 1 a message not found or refused, 64 usage, 70 otherwise.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config/index.js';
import { sendControl, DaemonNotRunningError } from '../control/controlClient.js';
import { ControlCodes, controlSocketPath } from '../control/protocol.js';
import { acceptsOp, refusalText, statesAccepting } from '../queue/operatorOps.js';
import { isFinalState, type MessageSummary } from '../readmodel/messageSummary.js';
import { recordDirectly, type DirectOutcome, type MessageOp } from './directAppend.js';
import { messageSummaries, readStoredMessage } from './messageStore.js';
import { configFrom, openEventLog, UsageError } from './openLog.js';
import { domainOf } from '../mail/address.js';

const CONTROL_TIMEOUT_MS = 15_000;

const PAST: Record<MessageOp, string> = {
  retry: 'retry requested',
  hold: 'held',
  release: 'released',
  delete: 'deleted',
  bounce: 'bounced',
  requeue: 'requeued (policies and routing run again)',
};
const DONE: Record<MessageOp, string> = {
  retry: 'retry requested for',
  hold: 'held',
  release: 'released',
  delete: 'deleted',
  bounce: 'bounced',
  requeue: 'requeued',
};

export const options = {
  config: { type: 'string', short: 'c' },
  all: { type: 'boolean' },
  'to-domain': { type: 'string', multiple: true },
  'from-domain': { type: 'string', multiple: true },
  state: { type: 'string', multiple: true },
} as const;

interface Selection {
  readonly toDomains: readonly string[];
  readonly fromDomains: readonly string[];
  readonly states: readonly string[];
}

const usage = (op: MessageOp): string =>
  `usage: mailtrail ${op} <id>... | - (ids on stdin) | --all [--to-domain D] [--from-domain D] [--state S] [--config FILE]`;

const bareDomain = (d: string): string => d.replace(/^@/, '').toLowerCase();

/** The first word of each line; lines that start with a blank or `-` (continuations, footers) are skipped. */
export function idsFromText(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^[^\s-]/.test(l))
    .map((l) => l.split(/\s/)[0]!)
    .filter(Boolean);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The live messages that `op` applies to and that pass the filters. */
export function selectMessages(messages: readonly MessageSummary[], op: MessageOp, s: Selection): string[] {
  const to = s.toDomains.map(bareDomain);
  const from = s.fromDomains.map(bareDomain);
  return messages
    .filter((m) => acceptsOp(op, m.state))
    .filter((m) => s.states.length === 0 || s.states.includes(m.state))
    .filter((m) => from.length === 0 || from.includes(domainOf(m.sender)))
    .filter(
      (m) => to.length === 0 || m.recipients.some((r) => r.status === 'pending' && to.includes(domainOf(r.address))),
    )
    .map((m) => m.id);
}

async function daemonRunning(config: Config): Promise<boolean> {
  try {
    await sendControl(controlSocketPath(config.dataDir), { op: 'ping' }, CONTROL_TIMEOUT_MS);
    return true;
  } catch (err) {
    if (err instanceof DaemonNotRunningError) return false;
    throw err;
  }
}

export async function runOperator(op: MessageOp, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  const selection: Selection = {
    toDomains: values['to-domain'] ?? [],
    fromDomains: values['from-domain'] ?? [],
    states: (values.state ?? [])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
  };
  const selecting =
    values.all === true || selection.toDomains.length + selection.fromDomains.length + selection.states.length > 0;
  if (selecting === positionals.length > 0) throw new UsageError(usage(op));
  const bad = selection.states.filter((s) => !acceptsOp(op, s));
  if (bad.length)
    throw new UsageError(`--state ${bad.join(',')}: ${op} applies to messages in ${statesAccepting(op).join(', ')}`);
  const config = await configFrom(values);
  const daemon = await daemonRunning(config);
  let ids: string[];
  if (selecting) {
    const log = await openEventLog(config);
    try {
      ids = selectMessages(await messageSummaries(log, false), op, selection);
    } finally {
      await log.close();
    }
  } else {
    ids = positionals.includes('-')
      ? [...positionals.filter((p) => p !== '-'), ...idsFromText(await readStdin())]
      : [...positionals];
  }
  const report = new Report(op, daemon);
  if (daemon) {
    for (const id of ids) report.add(id, await viaDaemon(config, op, id));
  } else if (ids.length > 0) {
    await recordDirectly(config, op, ids, (id, outcome) => report.add(id, outcome));
  }
  return report.finish(selecting || ids.length !== 1);
}

/** One request on the control socket, as a DirectOutcome (not found: the log says why). */
async function viaDaemon(config: Config, op: MessageOp, id: string): Promise<DirectOutcome> {
  const reply = await sendControl(controlSocketPath(config.dataDir), { op, id }, CONTROL_TIMEOUT_MS);
  if (reply.ok) return { kind: 'recorded', state: reply.state ?? '?' };
  if (reply.code === ControlCodes.refused) return { kind: 'refused', state: reply.state ?? '?', reason: reply.error };
  if (reply.code !== ControlCodes.notFound) throw new Error(reply.error);
  const log = await openEventLog(config);
  try {
    const state = (await readStoredMessage(log, id))?.summary.state;
    if (state === undefined) return { kind: 'not-found' };
    const reason = isFinalState(state)
      ? refusalText(op, id, state)
      : `the daemon holds no live actor for message ${id} (${state} in the log); try again shortly`;
    return { kind: 'refused', state, reason };
  } finally {
    await log.close();
  }
}

class Report {
  private recorded = 0;
  private failed = 0;

  constructor(
    private readonly op: MessageOp,
    private readonly daemon: boolean,
  ) {}

  add(id: string, outcome: DirectOutcome): void {
    switch (outcome.kind) {
      case 'recorded':
        this.recorded += 1;
        process.stdout.write(`message ${id}: ${PAST[this.op]}, now ${outcome.state} (${this.how()})\n`);
        return;
      case 'not-found':
        this.failed += 1;
        process.stderr.write(`mailtrail ${this.op}: no message ${id}\n`);
        return;
      case 'refused':
        this.failed += 1;
        process.stderr.write(`mailtrail ${this.op}: ${outcome.reason}\n`);
    }
  }

  finish(summary: boolean): number {
    if (summary)
      process.stdout.write(
        `${DONE[this.op]} ${this.recorded} message(s)${this.failed ? `, ${this.failed} not found or refused` : ''} (${this.how()})\n`,
      );
    return this.failed > 0 ? 1 : 0;
  }

  private how(): string {
    if (this.daemon) return 'via the daemon';
    const later =
      this.op === 'retry' || this.op === 'requeue'
        ? '; attempted when the daemon starts'
        : this.op === 'bounce'
          ? '; the DSN is sent when the daemon starts'
          : '';
    return `appended to the log; the daemon is not running${later}`;
  }
}
