/**
 * Claims on a shared log: which node owns a message's attempt. `claimEvent` is the
 * AttemptClaimed a node appends with its RelayAttempted (one append at the expected
 * revision: of two nodes, one gets the conflict); `lostRace` tells such a conflict (or a
 * claim the machine refuses because another node's lease still runs) from a real failure,
 * so the queue drops its stale actor and moves on instead of logging an error. A
 * LeaseRenewal re-claims every third of the lease while a long attempt runs, on the queue's
 * injected scheduler (its clock and timers).
 */
import type { AttemptClaimed } from '../../machines/message.events.js';
import { ExpectedRevisionConflictError } from '../eventlog/eventLog.js';
import { EventNotAcceptedError } from '../replay/eventNotAcceptedError.js';
import type { Scheduler } from './scheduler.js';

export interface ClaimSettings {
  /** This daemon's node name. */
  readonly node: string;
  /** How long a claim holds (queue.claimLease), in milliseconds. */
  readonly leaseMs: number;
}

export function claimEvent(settings: ClaimSettings, attempt: number, now: number): AttemptClaimed {
  return {
    type: 'AttemptClaimed',
    node: settings.node,
    attempt,
    leaseUntil: new Date(now + settings.leaseMs).toISOString(),
    at: new Date(now).toISOString(),
  };
}

/** Another node got there first: its append took the revision, or its claim still holds. */
export function lostRace(err: unknown): boolean {
  return (
    err instanceof ExpectedRevisionConflictError ||
    (err instanceof EventNotAcceptedError && err.eventType === 'AttemptClaimed')
  );
}

/** Renews a running attempt's claim every leaseMs / 3 until stop(). Failures are the caller's to log. */
export class LeaseRenewal {
  private cancel: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly settings: ClaimSettings,
    private readonly renew: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
    private readonly scheduler: Scheduler,
  ) {
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    const every = Math.max(1, Math.floor(this.settings.leaseMs / 3));
    this.cancel = this.scheduler.at(this.scheduler.now() + every, () => {
      this.renew()
        .catch(this.onError)
        .finally(() => this.arm());
    });
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }
}
