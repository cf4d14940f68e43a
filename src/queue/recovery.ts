/**
 * Start-up recovery (Postfix's qmgr scanning the incoming and deferred queues): the work to
 * continue every live message — its next step, or a DSN a crash kept from being queued — is
 * returned to run now or once the daemon has dropped its privileges, with the log's answer to
 * "does a message have this id?" for the spool's orphan sweep (spoolSweep.ts), which may run
 * after the edge listens. With a log that keeps snapshots
 * (sqlite), that work pages through the live messages in the background, a batch per turn of
 * the loop: deferred and held ones only rest as index entries (restingMessages.ts), the few
 * caught mid-step get their actor now; no history is folded. Other logs fold every live
 * message's stream into an actor here, before the queue serves.
 */
import type { Logger } from 'pino';
import type { MessageContext } from '../../machines/message.context.js';
import { MESSAGE_MACHINE_VERSION, type MessageMachine } from '../../machines/message.machine.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { replay } from '../replay/replay.js';
import type { MessageActors } from './messageActors.js';
import { isFinalState } from '../readmodel/messageSummary.js';
import { messageStream } from '../mail/streamNames.js';
import {
  type LiveEntry,
  type RecoverySource,
  type SnapshotSource,
  scanRecoverySource,
} from '../readmodel/recoverySource.js';
import type { RestingMessages } from './restingMessages.js';

export interface RecoveryOptions {
  readonly log: EventLog;
  readonly machine: MessageMachine;
  readonly actors: MessageActors;
  /** Default: fold every message stream of the log. */
  readonly source?: RecoverySource;
  /** Continue a live message from the state its history stopped in. */
  readonly resume: (id: string, state: string) => void;
  /** Queue the DSN of a final message that is owed one (none: DSNs are off). */
  readonly sendBounce?: (context: MessageContext) => Promise<void>;
  /** Where deferred and held messages rest without an actor (with a source that keeps snapshots). */
  readonly resting?: RestingMessages;
  /** The retry policy's maxLifetime: a resting message is due at its expiry at the latest. */
  readonly maxLifetime: number;
  readonly logger: Logger;
}

export interface Recovered {
  readonly recovered: number;
  /** Does the log hold a message with this id (as of start)? For the spool's orphan sweep. */
  readonly isKnown: (id: string) => boolean | Promise<boolean>;
  /** What to run to continue them. */
  readonly work: (() => void)[];
  /** True when the live messages are recovered by that work, in the background (it logs when done). */
  readonly background: boolean;
  /** Resolves once that work has scheduled every live message (at once without a background). */
  readonly scheduled: () => Promise<void>;
}

export async function recover(options: RecoveryOptions): Promise<Recovered> {
  const { log, machine, actors } = options;
  const work: (() => void)[] = [];
  const source = options.source ?? (await scanRecoverySource(log));
  const isKnown = (id: string) => source.isKnown(id);
  // The DSNs owed are looked for among the final messages (all of history): as work, not before the edge listens.
  const owed = () => void sendOwedBounces(options, source);
  const resting = options.resting;
  if (source.snapshots && resting) {
    const snapshots = source.snapshots;
    const live = snapshots.liveCount();
    let paged: Promise<void> = Promise.resolve();
    const page = () => {
      paged = recoverInBackground(options, snapshots, resting, live);
    };
    work.push(page, owed);
    return { recovered: live, isKnown, work, background: true, scheduled: () => paged };
  }
  for (const summary of await source.liveMessages()) {
    const replayed = await replay(log, messageStream(summary.id), machine, MESSAGE_MACHINE_VERSION);
    if (replayed.revision === null || isFinalState(replayed.state)) continue;
    actors.create(summary.id, replayed);
    work.push(() => options.resume(summary.id, replayed.state));
  }
  work.push(owed);
  return { recovered: actors.size, isKnown, work, background: false, scheduled: () => Promise.resolve() };
}

/** Queue the DSNs a crash kept from being sent (few: folded from their streams); logs how many. */
async function sendOwedBounces(options: RecoveryOptions, source: RecoverySource): Promise<void> {
  const sendBounce = options.sendBounce;
  if (!sendBounce) return;
  try {
    const bounces = await source.unsentBounces();
    for (const id of bounces) {
      const replayed = await replay(options.log, messageStream(id), options.machine, MESSAGE_MACHINE_VERSION);
      if (options.actors.stopping) return;
      options.actors.spawn(id, 'bounce', () => sendBounce(replayed.snapshot.context));
    }
    if (bounces.length > 0)
      options.logger.info({ bounces: bounces.length }, `queueing ${bounces.length} DSNs a crash kept from being sent`);
  } catch (err) {
    options.logger.error({ err }, 'looking for the DSNs owed failed; the next start looks again');
  }
}

/** Live messages read per turn of the event loop. */
const PAGE = 500;

/**
 * Page through the live messages, one page per turn of the loop (SMTP sessions and due
 * messages are served in between): rest the deferred and held, wake the others now. A message
 * that already has an actor (new, or woken by an operator meanwhile) is left alone.
 */
async function recoverInBackground(
  options: RecoveryOptions,
  source: SnapshotSource,
  resting: RestingMessages,
  live: number,
): Promise<void> {
  const { actors, logger } = options;
  const started = performance.now();
  let after = '';
  let count = 0;
  try {
    for (;;) {
      if (actors.stopping) return;
      const page = source.livePage(after, PAGE);
      for (const entry of page) {
        count += 1;
        if (actors.get(entry.id) || resting.has(entry.id)) continue;
        const due = dueTime(entry, options.maxLifetime);
        if (entry.state === 'held') resting.restHeld(entry.id);
        else if (entry.state === 'deferred' || (entry.state === 'received' && due > actors.now()))
          resting.restUntil(entry.id, due, entry.state);
        else
          void resting
            .actorFor(entry.id)
            .catch((err: unknown) => actors.child(entry.id).error({ err }, 'recovery failed'));
      }
      resting.pump();
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.id;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const fallbacks = resting.fallbackCount();
    if (fallbacks > 0) {
      logger.warn(
        { fallbacks: resting.fallbacks },
        `${fallbacks} live messages had no usable stored snapshot and were folded from their histories; mailtrail rebuild-projections recomputes the snapshots`,
      );
    }
    // An empty queue has nothing to report (and the daemon's first line stays the one saying where it listens).
    const level = count > 0 ? 'info' : 'debug';
    logger[level](
      { recovered: count, live, resting: resting.size, ms: Math.round(performance.now() - started) },
      `recovered ${count} live messages from the log`,
    );
  } catch (err) {
    logger.error({ err }, 'recovering the live messages failed');
  }
}

/** When a resting message's next step is due: its next attempt, or its expiry if sooner. */
function dueTime(entry: LiveEntry, maxLifetime: number): number {
  const next = entry.nextAttemptAt ? Date.parse(entry.nextAttemptAt) : 0;
  return Math.min(next, Date.parse(entry.receivedAt) + maxLifetime);
}
