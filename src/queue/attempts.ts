/**
 * Delivery attempts (Postfix's qmgr active queue): a message due for delivery asks the
 * attempt slots for one (attemptSlots.ts, the only record of who holds or waits), records
 * RelayAttempted once it holds it, hands the in-flight recipients to their relays, gives the
 * slot back as soon as they are done, and records one outcome each. A deferred message's retry is a timer on the injected
 * scheduler; a woken attempt starts only if the machine still accepts it and the message is
 * due. `resume` continues a recovered message where its history stopped.
 */
import type { MessageContext } from '../../machines/message.context.js';
import type { AttemptClaimed, MessageEvent, RelayAttempted } from '../../machines/message.events.js';
import { readHeaderBlock } from '../mail/headerBlock.js';
import type { RelayPolicy } from '../policies/policy.js';
import type { Spool } from '../spool/spool.js';
import { type ClaimSettings, LeaseRenewal, claimEvent } from './attemptClaims.js';
import type { AttemptSlots } from './attemptSlots.js';
import { type RetryPolicy, isExpired, retryDelay } from './backoff.js';
import { type OutcomeEvent, logOutcomes, runDeliveryAttempt } from './deliveryAttempt.js';
import { bodyDamageOf } from './bodyCheck.js';
import { errorOutcome } from './errorOutcome.js';
import type { MessageActor, MessageActors } from './messageActors.js';
import { runPrequeuePolicies } from './prequeuePolicies.js';
import type { CapturedHeaders } from './capturedHeaders.js';
import { headerBlockOf, queuedMessageOf } from './queuedMessage.js';
import { type RouteContext, type Router, routeContextOf } from './router.js';

/** A relay policy threw `error` (not an error class of its own: it only carries the name to the catch). */
class RelayPolicyFailure {
  constructor(
    readonly policy: string,
    readonly error: unknown,
  ) {}
}

export interface AttemptsOptions {
  readonly actors: MessageActors;
  readonly slots: AttemptSlots;
  readonly router: Router;
  readonly retry: RetryPolicy;
  readonly spool: Spool;
  readonly hostname: string;
  /** Run before each attempt; their headers go into that attempt's copy only. */
  readonly relayPolicies: readonly RelayPolicy[];
  /** On a shared log: claim each attempt (AttemptClaimed before RelayAttempted) and renew the lease. */
  readonly claims?: ClaimSettings;
  /** Record events, retrying a failed append (durableRecord.ts); false when given up. */
  readonly record: (actor: MessageActor, ...events: MessageEvent[]) => Promise<boolean>;
  /** The header blocks seen at receipt: the first attempt takes its message's. */
  readonly captured: CapturedHeaders;
}

export class Attempts {
  private readonly actors: MessageActors;
  private readonly slots: AttemptSlots;
  /** Messages whose attempt runs or whose outcomes are being recorded (their slot may already be back). */
  private readonly delivering = new Set<string>();

  constructor(private readonly options: AttemptsOptions) {
    this.actors = options.actors;
    this.slots = options.slots;
  }

  /** How many attempts are in flight, and which messages wait for a slot (first in line first). */
  get slotUse(): { inUse: number; waiting: string[] } {
    return { inUse: this.slots.inUse, waiting: this.slots.waitingIds };
  }

  /**
   * The first attempt of a message whose policies just ran, to record in the same commit as
   * PoliciesApplied (one fsync fewer): the event, with a slot taken for `id`, or undefined
   * when no slot is free right now (the attempt then waits for one as usual).
   */
  takeFirst(
    id: string,
    ctx: MessageContext,
    pending: readonly string[],
  ): (AttemptClaimed | RelayAttempted)[] | undefined {
    if (this.actors.stopping || pending.length === 0 || ctx.attempts > 0 || this.delivering.has(id)) return undefined;
    if (!this.slots.tryTake(id)) return undefined;
    return [...this.claim(1), this.attemptEvent(1, pending, routeContextOf(ctx))];
  }

  /** On a shared log, the claim that goes before attempt `n` (in the same append); else nothing. */
  private claim(n: number): AttemptClaimed[] {
    return this.options.claims ? [claimEvent(this.options.claims, n, this.actors.now())] : [];
  }

  /** Give back a slot taken with takeFirst whose event could not be recorded. */
  giveBack(id: string): void {
    this.slots.release(id);
  }

  /** The machine's startAttempt action: ask for a slot; once held, record RelayAttempted. */
  start(id: string): void {
    if (this.actors.stopping) return;
    this.slots.request(id, () => this.actors.spawn(id, 'startAttempt', () => this.begin(id)));
  }

  private async begin(id: string): Promise<void> {
    const actor = this.actors.get(id);
    try {
      // No second attempt while this message's previous one still records its outcomes.
      if (this.actors.stopping || !actor || this.delivering.has(id)) return this.slots.release(id);
      const ctx = actor.snapshot.context;
      if (actor.state === 'deferred' && !this.isDue(ctx)) {
        // Woken for a message deferred again since it asked: its own timer decides.
        this.slots.release(id);
        return this.scheduleRetry(ctx);
      }
      const pending = ctx.recipients.filter((r) => r.status === 'pending').map((r) => r.address);
      const event = this.attemptEvent(ctx.attempts + 1, pending, routeContextOf(ctx));
      // The machine says whether an attempt may start in this state (held, final: not).
      if (!actor.snapshot.can(event)) return this.slots.release(id);
      const damage = await bodyDamageOf((ref, sha256) => this.options.spool.verify(ref, sha256), ctx);
      if (damage) {
        this.slots.release(id);
        return this.holdDamaged(actor, damage.reason);
      }
      // An operator's command may have moved the message while its body was read.
      if (this.actors.stopping || !actor.snapshot.can(event)) return this.slots.release(id);
      // On a shared log the claim goes first, in the same append: of two nodes, one gets the conflict.
      await actor.record(...this.claim(event.attempt), event);
    } catch (err) {
      this.slots.release(id);
      throw err;
    }
  }

  /** A body that must not go out: the message is held with the reason, loudly, and kept. */
  private async holdDamaged(actor: MessageActor, reason: string): Promise<void> {
    const held = { type: 'MessageHeld' as const, at: this.actors.iso(), reason, by: 'mailtrail' };
    if (!actor.snapshot.can(held)) return;
    await actor.record(held);
    this.actors
      .child(actor.snapshot.context.messageId)
      .error(
        { reason },
        'not delivered: the stored body differs from the one received; the message is held (mailtrail show, then release, bounce or delete)',
      );
  }

  /** The machine's deliver action: run the attempt, record its outcomes, give the slot back. */
  deliver(id: string): void {
    this.actors.spawn(id, 'deliver', () => this.deliverNow(this.actors.require(id)));
  }

  private async deliverNow(actor: MessageActor): Promise<void> {
    const ctx = actor.snapshot.context;
    const id = ctx.messageId;
    const now = this.actors.now();
    const nextAttemptAt = new Date(now + retryDelay(this.options.retry, ctx.receivedAt, now)).toISOString();
    const claims = this.options.claims;
    // A long attempt keeps its claim: renewed every third of the lease until its outcomes are in.
    const renewal =
      claims &&
      new LeaseRenewal(
        claims,
        () => actor.record(claimEvent(claims, ctx.attempts, this.actors.now())),
        (err) => this.actors.child(id).warn({ err }, 'could not renew the claim on this attempt'),
        this.actors.scheduler,
      );
    // The header block seen at receipt: the first attempt's loop check needs no read back.
    const captured = this.options.captured.take(id);
    this.delivering.add(id);
    try {
      let headers = ctx.headers;
      let outcomes: OutcomeEvent[];
      try {
        if (this.options.relayPolicies.length) headers = [...(await this.runRelayPolicies(ctx)), ...ctx.headers];
        const spool = this.options.spool;
        outcomes = await runDeliveryAttempt({
          context: ctx,
          message: queuedMessageOf(ctx),
          router: this.options.router,
          openContent: ({ lineEndings }) => spool.open(ctx.bodyRef, { prepend: headerBlockOf(headers), lineEndings }),
          readHeaders: async () =>
            captured === undefined
              ? readHeaderBlock(spool.open(ctx.bodyRef, { prepend: headerBlockOf(headers) }))
              : headerBlockOf(headers) + captured,
          now: () => this.actors.now(),
          nextAttemptAt,
          logger: this.actors.child(id),
        });
      } catch (err) {
        // A relay policy that refuses for good (PermanentError) fails the attempt's recipients
        // with its 5.x.x; one that cannot run now defers them (its 4.x.x, or 4.3.0).
        const failure = err instanceof RelayPolicyFailure ? err : undefined;
        const decided = errorOutcome(failure ? failure.error : err);
        const reply = `relay policy${failure ? ` ${failure.policy}` : ''} failed: ${decided.reason}`;
        const at = this.actors.iso();
        outcomes = ctx.recipients
          .filter((r) => r.inFlight)
          .map((r) =>
            decided.outcome === 'permanent'
              ? {
                  type: 'DeliveryFailed' as const,
                  recipient: r.address,
                  status: decided.status,
                  reply,
                  relay: 'none',
                  at,
                }
              : {
                  type: 'DeliveryDeferred' as const,
                  recipient: r.address,
                  status: decided.unexpected ? '4.3.0' : decided.status,
                  reply,
                  relay: 'none',
                  at,
                  nextAttemptAt,
                },
          );
      }
      renewal?.stop();
      // The relays are done with this message: the slot goes to the next one now, not after
      // the outcomes' commit (a slot bounds concurrent deliveries, and the wait for an fsync
      // is not one). `delivering` keeps a second attempt of this message out meanwhile.
      this.slots.release(id);
      if (this.actors.stopping && this.actors.size === 0) return;
      // Kept in memory and retried while the log refuses them; given up, the daemon stops.
      if (!(await this.options.record(actor, ...outcomes))) return;
      logOutcomes(this.actors.child(id), outcomes, (this.actors.now() - Date.parse(ctx.receivedAt)) / 1000);
    } finally {
      renewal?.stop();
      this.slots.release(id);
      this.delivering.delete(id);
    }
  }

  /** Delivery slots neither held nor asked for: how many more messages this node can take up. */
  get freeSlots(): number {
    return this.slots.size - this.slots.inUse - this.slots.waitingIds.length;
  }

  /** Relay policies (slimta's RelayPolicy): headers for this attempt's copy, nothing recorded. */
  private async runRelayPolicies(ctx: MessageContext): Promise<string[]> {
    const spool = this.options.spool;
    const outcome = await runPrequeuePolicies({
      policies: this.options.relayPolicies,
      from: 0,
      message: queuedMessageOf(ctx),
      hostname: this.options.hostname,
      now: new Date(this.actors.now()),
      readHeaders: () => readHeaderBlock(spool.open(ctx.bodyRef, { prepend: headerBlockOf(ctx.headers) })),
      openMessage: (headers) => spool.open(ctx.bodyRef, { prepend: headerBlockOf([...headers, ...ctx.headers]) }),
    });
    if (outcome.kind === 'failed') throw new RelayPolicyFailure(outcome.policy, outcome.error);
    return outcome.headers;
  }

  /** The machine's scheduleRetry action: at nextAttemptAt (or expiry, if sooner) expire or attempt. */
  scheduleRetry(ctx: MessageContext): void {
    const id = ctx.messageId;
    if (this.actors.stopping) return;
    const retry = this.options.retry;
    const due = Math.min(
      ctx.nextAttemptAt ? Date.parse(ctx.nextAttemptAt) : this.actors.now(),
      Date.parse(ctx.receivedAt) + retry.maxLifetime,
    );
    this.actors.setTimer(id, due, () =>
      this.actors.spawn(id, 'retry', async () => {
        const actor = this.actors.require(id);
        if (actor.state !== 'deferred') return;
        if (isExpired(retry, ctx.receivedAt, this.actors.now())) {
          await actor.record({ type: 'MessageExpired', at: this.actors.iso(), reason: 'message expired in the queue' });
        } else {
          this.start(id);
        }
      }),
    );
  }

  /** The machine's cancelRetry action: the timer is disarmed and a place in line given up. */
  cancelRetry(id: string): void {
    this.actors.clearTimer(id);
    this.slots.withdraw(id);
  }

  /** Recovery: continue a message whose history stopped in `state` (held waits for an operator). */
  resume(id: string, state: string): void {
    if (state === 'policies-applied' || state === 'relay-attempted') this.start(id);
    else if (state === 'deferred') this.scheduleRetry(this.actors.require(id).snapshot.context);
  }

  /** Is a deferred message's next attempt due? (One past its lifetime is expired by its timer.) */
  private isDue(ctx: MessageContext): boolean {
    return !ctx.nextAttemptAt || Date.parse(ctx.nextAttemptAt) <= this.actors.now();
  }

  /** The RelayAttempted event for these (pending) recipients, naming the relays they route to. */
  private attemptEvent(attempt: number, recipients: readonly string[], routeContext: RouteContext): RelayAttempted {
    const router = this.options.router;
    const relays = [
      ...new Set(
        recipients.map((r) => {
          const route = router.route(r, routeContext);
          return 'relay' in route ? route.relay.name : 'none';
        }),
      ),
    ];
    return {
      type: 'RelayAttempted',
      attempt,
      recipients: [...recipients],
      relay: relays.join(','),
      at: this.actors.iso(),
    };
  }
}
