/**
 * `mailtrail requeue <id>` records MessageRequeued (postsuper -r: the policies and routing run
 * again; operatorCommand.ts, through the daemon or the log).
 * `mailtrail requeue --quarantined [ID…] [--force]` and `mailtrail requeue --from-spool
 * [--force]`: put spooled bodies back in the queue from the envelope stored with each
 * (src/queue/spoolRecovery.ts); each gets a MessageReceived marked `recovered`.
 * --quarantined goes through the running daemon (its queue delivers at once) or, with no
 * daemon, appends to the log (delivered when the daemon starts). --from-spool (after the log
 * was lost: the daemon refuses to start) queues every body in spool/bodies/ that the log does
 * not know; it refuses while the daemon runs (exit 69). Exit 0 when every body named or found
 * was queued, 1 when one was not (the reason is printed; the body stays where it was).
 */
import { parseArgs } from 'node:util';
import { messageMachine } from '../../machines/message.machine.js';
import type { Config } from '../config/index.js';
import { DaemonNotRunningError, sendControl } from '../control/controlClient.js';
import { controlSocketPath, type RequeueReplyItem } from '../control/protocol.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { headerValue } from '../mail/headerFields.js';
import { readHeaderBlock } from '../mail/headerBlock.js';
import { inlineProjections } from '../readmodel/inlineProjections.js';
import { MESSAGE_IDENTITY } from '../queue/queue.js';
import type { EnqueueInput } from '../queue/queueOptions.js';
import { messageStream } from '../mail/streamNames.js';
import { receivedEvent } from '../queue/receivedEvent.js';
import {
  REQUEUE_OUTCOMES,
  requeueCandidates,
  requeueSpooled,
  type RequeueFrom,
  type RequeuePorts,
  type RequeueResult,
} from '../queue/spoolRecovery.js';
import { EventSourcedActor } from '../runtime/eventSourcedActor.js';
import { Spool } from '../spool/spool.js';
import { spoolRootOf } from './messageStore.js';
import { configFrom, UsageError } from './openLog.js';
import { daemonRunning } from './rebuildCommand.js';
import { runOperator } from './operatorCommand.js';

const USAGE =
  'usage: mailtrail requeue <id> [--config FILE]\n       mailtrail requeue --quarantined [ID...] [--force] [--config FILE]\n       mailtrail requeue --from-spool [--force] [--config FILE]';

export const options = {
  config: { type: 'string', short: 'c' },
  quarantined: { type: 'boolean' },
  'from-spool': { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

export async function run(args: readonly string[]): Promise<number> {
  // `requeue <id>`: a live message's policies and routing run again (an operator command).
  if (!args.some((a) => a === '--quarantined' || a === '--from-spool')) {
    const { positionals } = parseArgs({
      args: [...args],
      options: { config: { type: 'string', short: 'c' } },
      allowPositionals: true,
      strict: false,
    });
    if (args.includes('--force') || positionals.length !== 1) throw new UsageError(USAGE);
    return runOperator('requeue', args);
  }
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  const fromSpool = values['from-spool'] === true;
  if (values.quarantined === fromSpool || (fromSpool && positionals.length > 0)) throw new UsageError(USAGE);
  const config = await configFrom(values);
  const force = values.force === true;
  if (fromSpool) {
    const running = await daemonRunning(config.dataDir);
    if (running) {
      process.stderr.write(
        `mailtrail requeue: refused: ${running}. A running daemon knows every body in its spool; --from-spool is for a lost log, with the daemon stopped.\n`,
      );
      return 69;
    }
    return report(
      await offline(config, 'spool', [], force),
      'spool',
      '(appended to the log; the daemon is not running: start it to deliver)',
    );
  }
  const ids = positionals.length > 0 ? positionals : [undefined];
  const results: RequeueReplyItem[] = [];
  try {
    for (const id of ids) {
      const reply = await sendControl(
        controlSocketPath(config.dataDir),
        { op: 'requeueQuarantined', ...(id ? { id } : {}), ...(force ? { force } : {}) },
        60_000,
      );
      if (!reply.ok) {
        process.stderr.write(`mailtrail requeue: ${reply.error}\n`);
        return 70;
      }
      results.push(...(reply.results ?? []));
    }
  } catch (err) {
    if (!(err instanceof DaemonNotRunningError) || results.length > 0) throw err;
    return report(
      await offline(config, 'quarantine', positionals, force),
      'quarantine',
      '(appended to the log; the daemon is not running: start it to deliver)',
    );
  }
  return report(results, 'quarantine', '(via the daemon)');
}

function report(results: readonly (RequeueResult | RequeueReplyItem)[], from: RequeueFrom, how: string): number {
  if (results.length === 0) {
    process.stdout.write(
      from === 'quarantine'
        ? 'the quarantine is empty: nothing to requeue\n'
        : 'every body in the spool belongs to a message in the log: nothing to requeue\n',
    );
    return 0;
  }
  let failed = 0;
  for (const r of results) {
    const text = REQUEUE_OUTCOMES[r.outcome as RequeueResult['outcome']] ?? r.outcome;
    if (r.outcome === 'queued') {
      const to = (r.recipients ?? []).map((a) => `<${a}>`).join(', ');
      process.stdout.write(`${r.id}: from <${r.sender ?? ''}> to ${to}: ${text} ${how}\n`);
    } else {
      failed += 1;
      process.stderr.write(`${r.id}: ${text}\n`);
    }
  }
  const queued = results.length - failed;
  process.stdout.write(
    `-- requeued ${queued} of ${results.length} ${from === 'quarantine' ? 'quarantined' : 'unknown spooled'} bodies\n`,
  );
  return failed === 0 ? 0 : 1;
}

/** With no daemon: the sqlite log opened writable (created 0600 if it was lost), MessageReceived appended. */
async function offline(
  config: Config,
  from: RequeueFrom,
  ids: readonly string[],
  force: boolean,
): Promise<RequeueResult[]> {
  if (config.eventLog.type !== 'sqlite')
    throw new UsageError(
      `with the daemon stopped, requeue appends to the sqlite event log; the config uses ${config.eventLog.type} (start the daemon)`,
    );
  const spool = new Spool(spoolRootOf(config));
  const log = new SqliteEventLog(config.eventLog.path, { projections: [...inlineProjections] });
  try {
    const ports: RequeuePorts = {
      spool,
      isKnown: (id) =>
        log.database.prepare('SELECT 1 FROM events WHERE stream = ? LIMIT 1').get(messageStream(id)) !== undefined,
      enqueue: (input) => appendReceived(log, spool, input),
    };
    const results: RequeueResult[] = [];
    for (const id of await requeueCandidates(ports, from, ids))
      results.push(await requeueSpooled(ports, id, from, force));
    return results;
  } finally {
    await log.close();
  }
}

/** MessageReceived for a body already spooled, validated by the message machine; nothing runs. */
async function appendReceived(log: SqliteEventLog, spool: Spool, input: EnqueueInput): Promise<string> {
  const id = input.id!;
  const stored = input.stored!;
  const headerBlock = Buffer.from(
    await readHeaderBlock(spool.open(stored.ref), 64 * 1024).catch(() => ''),
    'latin1',
  ).toString('utf8');
  const headers = {
    subject: headerValue(headerBlock, 'subject') ?? undefined,
    headerMessageId: headerValue(headerBlock, 'message-id') ?? undefined,
  };
  const actor = new EventSourcedActor({
    log,
    stream: messageStream(id),
    machine: messageMachine,
    identity: MESSAGE_IDENTITY,
    shareFold: true,
  });
  try {
    await actor.record(receivedEvent(id, input, stored, input.receivedAt ?? new Date().toISOString(), headers));
  } finally {
    actor.stop();
  }
  return id;
}
