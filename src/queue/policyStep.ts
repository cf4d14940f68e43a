/**
 * The prequeue step (Postfix's cleanup, slimta's QueuePolicy): a message in `received` runs
 * its prequeue policies once they are due, and records PoliciesApplied (with its first attempt
 * when a slot is free), PoliciesDeferred on the retry schedule when a policy cannot run now,
 * PoliciesFailed when one refuses the message for good (it threw a PermanentError),
 * MessageSplit once the children are durable, or MessageExpired past its lifetime.
 */
import type { MessageContext } from '../../machines/message.context.js';
import type { MessageEvent } from '../../machines/message.events.js';
import { readHeaderBlock } from '../mail/headerBlock.js';
import type { PrequeuePolicy } from '../policies/policy.js';
import type { Spool } from '../spool/spool.js';
import type { Attempts } from './attempts.js';
import { type RetryPolicy, isExpired, retryDelay } from './backoff.js';
import type { MessageActor, MessageActors } from './messageActors.js';
import { errorOutcome } from './errorOutcome.js';
import { type PolicyOutcome, runPrequeuePolicies } from './prequeuePolicies.js';
import { headerBlockOf, pendingMessageOf } from './queuedMessage.js';
import type { CapturedHeaders } from './capturedHeaders.js';
import type { EnqueueInput } from './queueOptions.js';
import { enqueueSplitChildren } from './splitChildren.js';

export interface PolicyStepOptions {
  readonly actors: MessageActors;
  readonly attempts: Attempts;
  readonly policies: readonly PrequeuePolicy[];
  readonly retry: RetryPolicy;
  readonly spool: Spool;
  readonly hostname: string;
  /** Queue a split's child. */
  readonly enqueue: (input: EnqueueInput) => Promise<string>;
  /** Record events, retrying a failed append (durableRecord.ts); false when given up. */
  readonly record: (actor: MessageActor, ...events: MessageEvent[]) => Promise<boolean>;
  /** The header blocks seen at receipt (read here, taken by the first attempt). */
  readonly captured: CapturedHeaders;
}

export class PolicyStep {
  private readonly actors: MessageActors;

  constructor(private readonly options: PolicyStepOptions) {
    this.actors = options.actors;
  }

  /** The machine's runPolicies action (entry of `received`). */
  run(id: string): void {
    this.actors.spawn(id, 'runPolicies', () => this.runNow(id));
  }

  private async runNow(id: string): Promise<void> {
    const actor = this.actors.require(id);
    if (actor.state !== 'received') return;
    const ctx = actor.snapshot.context;
    const now = this.actors.now();
    // Kept for the first attempt's loop check; a later run (recovery) reads the block from the spool.
    const captured = this.options.captured.peek(id);
    this.actors.clearTimer(id);
    if (ctx.nextAttemptAt && Date.parse(ctx.nextAttemptAt) > now) {
      this.actors.setTimer(id, Date.parse(ctx.nextAttemptAt), () => this.run(id));
      return;
    }
    const retry = this.options.retry;
    if (isExpired(retry, ctx.receivedAt, now)) {
      await actor.record({
        type: 'MessageExpired',
        at: this.actors.iso(),
        reason: `message expired in the queue${ctx.lastReason ? ` (${ctx.lastReason})` : ''}`,
      });
      return;
    }
    const spool = this.options.spool;
    const outcome = await runPrequeuePolicies({
      policies: this.options.policies,
      from: ctx.policiesFrom,
      message: pendingMessageOf(ctx),
      hostname: this.options.hostname,
      now: new Date(now),
      readHeaders: async () => captured ?? readHeaderBlock(spool.open(ctx.bodyRef)),
      openMessage: (headers) => spool.open(ctx.bodyRef, { prepend: headerBlockOf(headers) }),
    });
    if (outcome.kind !== 'applied') this.options.captured.forget(id);
    if (outcome.kind === 'failed') {
      // Decided on the error's class: a PermanentError bounces (Postfix: a filter's reject), anything else defers.
      const failed = errorOutcome(outcome.error);
      const reason = failed.reason;
      if (failed.outcome === 'permanent') {
        this.actors
          .child(id)
          .warn({ policy: outcome.policy, status: failed.status, reason }, 'policies refused the message');
        await this.options.record(actor, {
          type: 'PoliciesFailed',
          policy: outcome.policy,
          status: failed.status,
          reason,
          at: this.actors.iso(),
        });
        return;
      }
      const retryAt = this.actors.now() + retryDelay(retry, ctx.receivedAt, this.actors.now());
      this.actors
        .child(id)
        .warn(
          { policy: outcome.policy, err: failed.reason, ...(failed.unexpected ? {} : { status: failed.status }) },
          'policies deferred',
        );
      await this.options.record(actor, {
        type: 'PoliciesDeferred',
        reason,
        nextAttemptAt: new Date(retryAt).toISOString(),
        at: this.actors.iso(),
      });
      return;
    }
    if (outcome.kind === 'split') {
      const children = await enqueueSplitChildren(
        this.options.enqueue,
        spool,
        ctx,
        outcome.headers,
        outcome.groups,
        outcome.nextPolicy,
      );
      await actor.record({ type: 'MessageSplit', children, at: this.actors.iso() });
      return;
    }
    await this.recordApplied(id, ctx, outcome);
  }

  /** PoliciesApplied, with the first attempt in the same commit when a delivery slot is free now. */
  private async recordApplied(
    id: string,
    ctx: MessageContext,
    outcome: Extract<PolicyOutcome, { kind: 'applied' }>,
  ): Promise<void> {
    const actor = this.actors.require(id);
    const { headers, verdicts, recipients } = outcome;
    const applied = {
      type: 'PoliciesApplied' as const,
      headers,
      ...(recipients ? { recipients } : {}),
      ...(Object.keys(verdicts).length ? { verdicts } : {}),
      at: this.actors.iso(),
    };
    // The startAttempt action the first event triggers then finds the slot held and does nothing.
    const first = this.options.attempts.takeFirst(id, ctx, recipients ?? ctx.recipients.map((r) => r.address));
    if (!first) {
      await this.options.record(actor, applied);
      return;
    }
    try {
      if (!(await this.options.record(actor, applied, ...first))) this.options.attempts.giveBack(id);
    } catch (err) {
      this.options.attempts.giveBack(id);
      throw err;
    }
  }
}
