/**
 * What `retry`, `hold`, `release`, `delete` and `bounce` share: while the daemon runs, the
 * request goes through its control socket (`<dataDir>/control.sock`) so its actors see it;
 * when no daemon listens there, the event is appended to the log directly (directAppend.ts).
 * Exit codes: 0 recorded, 1 no such message or refused in its state, 64 usage, 70 otherwise.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config/index.js';
import { sendControl, DaemonNotRunningError } from '../control/controlClient.js';
import { ControlCodes, controlSocketPath, type ControlReply, type ControlRequest } from '../control/protocol.js';
import { isFinalState } from '../queue/messageSummary.js';
import { recordDirectly, retryAllDirectly, type MessageOp } from './directAppend.js';
import { readStoredMessage } from './messageStore.js';
import { configFrom, openLogReadonly, UsageError } from './openLog.js';

const CONTROL_TIMEOUT_MS = 15_000;

const PAST: Record<MessageOp, string> = { retry: 'retry requested', hold: 'held', release: 'released', delete: 'deleted', bounce: 'bounced', requeue: 'requeued (policies and routing run again)' };

export async function runOperator(op: MessageOp, args: readonly string[]): Promise<number> {
  const options = { config: { type: 'string', short: 'c' }, all: { type: 'boolean' } } as const;
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  const all = op === 'retry' && values.all === true;
  const id = positionals[0];
  if ((op !== 'retry' && values.all) || positionals.length > 1 || (all ? id !== undefined : id === undefined)) {
    throw new UsageError(`usage: mailtrail ${op} ${op === 'retry' ? '<id>|--all' : '<id>'} [--config FILE]`);
  }
  const config = await configFrom(values);
  const request: ControlRequest = all ? { op: 'retryAll' } : { op, id: id as string };
  let reply: ControlReply;
  try {
    reply = await sendControl(controlSocketPath(config.dataDir), request, CONTROL_TIMEOUT_MS);
  } catch (err) {
    if (!(err instanceof DaemonNotRunningError)) throw err;
    return all ? retryAllOffline(config) : runOffline(config, op, id as string);
  }
  if (reply.ok) {
    process.stdout.write(all ? `retry requested for ${reply.count ?? 0} message(s) (via the daemon)\n` : `message ${id}: ${PAST[op]}, now ${reply.state ?? '?'} (via the daemon)\n`);
    return 0;
  }
  if (reply.code === ControlCodes.notFound && id !== undefined) return notLive(config, op, id);
  process.stderr.write(`mailtrail ${op}: ${reply.error}\n`);
  return reply.code === ControlCodes.refused ? 1 : 70;
}

async function runOffline(config: Config, op: MessageOp, id: string): Promise<number> {
  const outcome = await recordDirectly(config, op, id);
  switch (outcome.kind) {
    case 'recorded': {
      const later = op === 'retry' || op === 'requeue' ? '; attempted when the daemon starts' : op === 'bounce' ? '; the DSN is sent when the daemon starts' : '';
      process.stdout.write(`message ${id}: ${PAST[op]}, now ${outcome.state} (appended to the log; the daemon is not running${later})\n`);
      return 0;
    }
    case 'not-found':
      process.stderr.write(`mailtrail ${op}: no message ${id}\n`);
      return 1;
    case 'refused':
      process.stderr.write(`mailtrail ${op}: refused: ${outcome.reason}\n`);
      return 1;
  }
}

async function retryAllOffline(config: Config): Promise<number> {
  const count = await retryAllDirectly(config);
  process.stdout.write(`retry requested for ${count} deferred message(s) (appended to the log; the daemon is not running)\n`);
  return 0;
}

/** The daemon holds no live actor for `id`: say whether it is final or unknown. */
async function notLive(config: Config, op: MessageOp, id: string): Promise<number> {
  const log = await openLogReadonly(config);
  try {
    const stored = await readStoredMessage(log, id);
    const state = stored?.summary.state;
    const why = state === undefined ? `no message ${id}`
      : isFinalState(state) ? `refused: message ${id} is already ${state} (final)`
      : `the daemon holds no live actor for message ${id} (${state} in the log); try again shortly`;
    process.stderr.write(`mailtrail ${op}: ${why}\n`);
    return 1;
  } finally {
    await log.close();
  }
}
