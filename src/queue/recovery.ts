/**
 * Start-up recovery (Postfix's qmgr scanning the incoming and deferred queues): bodies the log
 * does not know go to quarantine (never deleted on the log's word), every live message is
 * replayed from its stream into an actor, and the work to continue it — its next step, or a
 * DSN a crash kept from being queued — is returned to run now or once the daemon has dropped
 * its privileges.
 */
import type { MessageContext } from '../../machines/message.context.js';
import { MESSAGE_MACHINE_VERSION, type MessageMachine } from '../../machines/message.machine.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { replay } from '../replay/replay.js';
import type { Spool } from '../spool/spool.js';
import type { MessageActors } from './messageActors.js';
import { isFinalState } from '../readmodel/messageSummary.js';
import { messageStream } from '../mail/streamNames.js';
import { type RecoverySource, scanRecoverySource } from '../readmodel/recoverySource.js';

export interface RecoveryOptions {
  readonly log: EventLog;
  readonly spool: Spool;
  readonly machine: MessageMachine;
  readonly actors: MessageActors;
  /** Default: fold every message stream of the log. */
  readonly source?: RecoverySource;
  /** Continue a live message from the state its history stopped in. */
  readonly resume: (id: string, state: string) => void;
  /** Queue the DSN of a final message that is owed one (none: DSNs are off). */
  readonly sendBounce?: (context: MessageContext) => Promise<void>;
}

export interface Recovered {
  readonly recovered: number;
  readonly quarantined: string[];
  readonly bounces: number;
  /** What to run to continue them. */
  readonly work: (() => void)[];
}

export async function recover(options: RecoveryOptions): Promise<Recovered> {
  const { log, machine, actors } = options;
  const work: (() => void)[] = [];
  const source = options.source ?? (await scanRecoverySource(log));
  const quarantined = await options.spool.quarantineUnknown((id) => source.isKnown(id));
  for (const summary of await source.liveMessages()) {
    const replayed = await replay(log, messageStream(summary.id), machine, MESSAGE_MACHINE_VERSION);
    if (replayed.revision === null || isFinalState(replayed.state)) continue;
    actors.create(summary.id, replayed);
    work.push(() => options.resume(summary.id, replayed.state));
  }
  const sendBounce = options.sendBounce;
  const bounces = sendBounce ? await source.unsentBounces() : [];
  for (const id of bounces) {
    const replayed = await replay(log, messageStream(id), machine, MESSAGE_MACHINE_VERSION);
    work.push(() => actors.spawn(id, 'bounce', () => sendBounce!(replayed.snapshot.context)));
  }
  return { recovered: actors.size, quarantined, bounces: bounces.length, work };
}
