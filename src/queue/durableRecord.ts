/**
 * Postfix's rule when the log cannot be written (deliver_completed.c): a recipient is crossed
 * off only once its outcome is recorded, and rather than lose track the process stops. The
 * events an attempt or the prequeue policies produced (outcomes, PoliciesApplied …) are kept
 * in memory and their append is tried again after each delay of `delays` (on the injected
 * scheduler). When every try failed, `onLost` gets an OutcomeNotRecordedError (the daemon
 * stops and exits 75) and the message stays in the log as it was: the next start recovers it
 * (an attempt without outcomes is attempted again: at-least-once, never lost). An event the
 * machine no longer accepts (an operator deleted the message meanwhile) is not retried, nor is
 * a revision conflict (another node wrote the stream first): that one is thrown.
 */
import type { Logger } from 'pino';
import type { MessageEvent } from '../../machines/message.events.js';
import { MailtrailError } from '../errors/mailtrailError.js';
import { ExpectedRevisionConflictError } from '../eventlog/eventLog.js';
import { EventNotAcceptedError } from '../replay/eventNotAcceptedError.js';
import type { MessageActor } from './messageActors.js';
import type { Scheduler } from './scheduler.js';

/** Waits between the tries of an append that failed: about 20 s in all before giving up. */
export const RECORD_RETRY_DELAYS: readonly number[] = [250, 1_000, 4_000, 15_000];

/** The log refused a message's events after every retry: the daemon must stop rather than lose track. */
export class OutcomeNotRecordedError extends MailtrailError {
  constructor(
    readonly messageId: string,
    readonly events: string,
    tries: number,
    cause?: unknown,
  ) {
    super(
      'ERR_OUTCOME_NOT_RECORDED',
      `message ${messageId}: could not record ${events} after ${tries} tries (${cause instanceof Error ? cause.message : String(cause)}); stopping rather than lose track: the message keeps its last recorded state and is taken up again at the next start`,
      { cause },
    );
  }
}

export interface DurableRecordOptions {
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly delays?: readonly number[];
  /** Every try failed: stop (the daemon exits 75). */
  readonly onLost: (err: OutcomeNotRecordedError) => void;
}

/** Record `events` on `actor`, retrying a failed append; true once recorded, false when given up. */
export async function recordDurably(
  actor: MessageActor,
  events: readonly MessageEvent[],
  o: DurableRecordOptions,
): Promise<boolean> {
  const delays = o.delays ?? RECORD_RETRY_DELAYS;
  const id = actor.snapshot.context.messageId;
  const names = events.map((e) => e.type).join(', ');
  for (let attempt = 0; ; attempt++) {
    try {
      await actor.record(...events);
      if (attempt > 0) o.logger.warn({ messageId: id, tries: attempt + 1 }, `recorded ${names} on try ${attempt + 1}`);
      return true;
    } catch (err) {
      // Another node wrote the stream first (shared log): retrying at a stale revision cannot
      // succeed; the caller lets the message go (it is that node's now).
      if (err instanceof ExpectedRevisionConflictError) throw err;
      if (err instanceof EventNotAcceptedError) {
        o.logger.warn({ messageId: id, err }, `${names} no longer accepted (state ${err.state}): not recorded`);
        return false;
      }
      const delay = delays[attempt];
      if (delay === undefined) {
        const lost = new OutcomeNotRecordedError(id, names, attempt + 1, err);
        o.logger.fatal({ messageId: id, err }, lost.message);
        o.onLost(lost);
        return false;
      }
      o.logger.error(
        { messageId: id, err, retryInMs: delay },
        `could not record ${names}: keeping them and trying again`,
      );
      await new Promise<void>((resolve) => o.scheduler.at(o.scheduler.now() + delay, resolve));
    }
  }
}
