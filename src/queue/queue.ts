/**
 * The queue: one event-sourced `message` actor per envelope. This file is the facade (the API
 * the daemon, the tutorial and the tests use) and wires the aspects, as Postfix splits its
 * queue manager: intake (`enqueue` stores the body, fsynced, and resolves once
 * `MessageReceived` is durable — only then may the edge say 250), recovery.ts (`start()`
 * resumes live messages from the log), policyStep.ts, attempts.ts (the attempt slots as data,
 * retries on the injected scheduler), operatorCommands.ts and finalization.ts.
 */
import { hostname } from 'node:os';
import { messageMachine, MESSAGE_MACHINE_VERSION, type MessageMachine } from '../../machines/message.machine.js';
import type { MessageContext } from '../../machines/message.context.js';
import type { MessageEvent } from '../../machines/message.events.js';
import { createBounceSender } from '../bounce/bounceSender.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { InvariantError } from '../errors/mailtrailError.js';
import { silentLogger } from '../logging/logger.js';
import { readHeaderBlock } from '../mail/headerBlock.js';
import { headerValue } from '../mail/headerFields.js';
import type { PrequeuePolicy, RelayPolicy } from '../policies/policy.js';
import type { Relay } from '../relay/relay.js';
import type { Spool } from '../spool/spool.js';
import { AttemptSlots } from './attemptSlots.js';
import { Attempts } from './attempts.js';
import { type RetryPolicy, defaultRetryPolicy } from './backoff.js';
import { QUEUE_DEFAULTS } from './queueDefaults.js';
import { recordDurably } from './durableRecord.js';
import { finalizeMessage } from './finalization.js';
import { type MessageActor, MessageActors } from './messageActors.js';
import { OperatorCommands } from './operatorCommands.js';
import type { OperatorOp } from './operatorOps.js';
import { SharedWork } from './sharedWork.js';
import { PolicyStep } from './policyStep.js';
import { CapturedHeaders } from './capturedHeaders.js';
import type { BounceQueue, EnqueueInput, QueueExtraOptions, QueueOptions, QueueStorage } from './queueOptions.js';
import { newQueueId } from '../mail/queueId.js';
import { receivedEvent, spooledEnvelopeOf } from './receivedEvent.js';
import { recover } from './recovery.js';
import { Router } from './router.js';
import { RestingMessages } from './restingMessages.js';
import { realScheduler } from './scheduler.js';

export type { RecoverySource } from '../readmodel/recoverySource.js';
export type { QueueOptions, EnqueueInput, QueueStorage, QueueExtraOptions, BounceQueue } from './queueOptions.js';
export type { Scheduler } from './scheduler.js';
export { headerBlockOf, queuedMessageOf } from './queuedMessage.js';
export { UnknownMessageError } from './queueErrors.js';

export const MESSAGE_IDENTITY = { name: 'message', version: MESSAGE_MACHINE_VERSION } as const;

export class Queue {
  readonly log: EventLog;
  readonly spool: Spool;
  readonly hostname: string;
  private readonly options: QueueOptions;
  private readonly machine: MessageMachine;
  private readonly prequeue: PrequeuePolicy[] = [];
  private readonly relayPolicies: RelayPolicy[] = [];
  private readonly actors: MessageActors;
  private readonly attempts: Attempts;
  private readonly policies: PolicyStep;
  /** Header blocks seen at receipt, for the first trip through policies and the first attempt. */
  private readonly captured = new CapturedHeaders();
  private readonly operator: OperatorCommands;
  private heldWork: (() => void)[] = [];
  /** Deferred and held messages without an actor (with a log that keeps snapshots). */
  private readonly resting: RestingMessages | undefined;
  private readonly resume: (id: string, state: string) => void;
  private readonly retry: RetryPolicy;
  /** Between start() and the spool's sweep: the log's "is there a message with this id?". */
  private isKnown: ((id: string) => boolean | Promise<boolean>) | undefined;
  /** Resolves once the recovered work has scheduled every live message. */
  private scheduled: () => Promise<void> = () => Promise.resolve();
  private sweeping: Promise<string[]> | undefined;
  /** Shared mode (several daemons on one log): claims, the view of the whole queue, its scanner. */
  private readonly shared: SharedWork | undefined;
  /** The port a bounce sender gets: queue a DSN, read a body. */
  private readonly bounceQueue: BounceQueue = {
    enqueue: (input) => this.enqueue(input),
    openBody: (ref, options) => this.spool.open(ref, options),
  };

  /**
   * `new Queue(storage, relay)` as the tutorial reads (received mail goes to `relay`, DSNs to
   * `outbound` unless their domain is in `localDomains`; or a Router; DSNs on), or
   * `new Queue(options)` with every part named.
   */
  constructor(storage: QueueStorage, relay: Relay | Router, options?: QueueExtraOptions);
  constructor(options: QueueOptions);
  constructor(first: QueueStorage | QueueOptions, relay?: Relay | Router, extra: QueueExtraOptions = {}) {
    const options = relay === undefined ? (first as QueueOptions) : tutorialOptions(first, relay, extra);
    this.options = options;
    this.log = options.log;
    this.spool = options.spool;
    this.hostname = options.hostname;
    const retry = options.retry ?? defaultRetryPolicy;
    const id = ({ context }: { context: MessageContext }) => context.messageId;
    const sendBounce = options.onBounce ? (ctx: MessageContext) => options.onBounce!(ctx, this.bounceQueue) : undefined;
    this.machine = messageMachine.provide({
      actions: {
        runPolicies: (a) => this.policies.run(id(a)),
        startAttempt: (a) => this.attempts.start(id(a)),
        deliver: (a) => this.attempts.deliver(id(a)),
        scheduleRetry: ({ context }) => this.attempts.scheduleRetry(context),
        cancelRetry: (a) => this.attempts.cancelRetry(id(a)),
        // The children were queued (durably) before MessageSplit was recorded: nothing left to do.
        enqueueChildren: ({ context }) =>
          this.actors.child(context.messageId).info({ children: context.children }, 'split'),
        finalize: (a) => {
          this.captured.forget(id(a));
          this.actors.spawn(id(a), 'finalize', () =>
            finalizeMessage(
              {
                actors: this.actors,
                ...(options.onFinal ? { onFinal: options.onFinal } : {}),
                ...(sendBounce ? { sendBounce } : {}),
              },
              id(a),
            ),
          );
        },
      },
    }) as MessageMachine;
    this.actors = new MessageActors({
      log: options.log,
      machine: this.machine,
      identity: MESSAGE_IDENTITY,
      scheduler: options.scheduler ?? realScheduler(options.now ?? Date.now),
      logger: options.logger ?? silentLogger,
      ...(options.inspect ? { inspect: options.inspect } : {}),
      ...(options.shared ? { shared: true } : {}),
    });
    const record = (actor: MessageActor, ...events: MessageEvent[]) =>
      recordDurably(actor, events, {
        scheduler: this.actors.scheduler,
        logger: options.logger ?? silentLogger,
        ...(options.recordRetryDelays ? { delays: options.recordRetryDelays } : {}),
        onLost: options.onLogLost ?? (() => undefined),
      });
    const claims = options.shared ? { claims: { node: options.shared.node, leaseMs: options.shared.leaseMs } } : {};
    const captured = this.captured;
    const common = { actors: this.actors, retry, spool: options.spool, hostname: options.hostname, record, captured };
    const slots = new AttemptSlots(options.concurrency ?? QUEUE_DEFAULTS.concurrency);
    this.attempts = new Attempts({
      ...common,
      slots,
      router: options.router,
      relayPolicies: this.relayPolicies,
      ...claims,
    });
    this.policies = new PolicyStep({
      ...common,
      attempts: this.attempts,
      policies: this.prequeue,
      enqueue: (input) => this.enqueue(input),
    });
    const resume = (id: string, state: string): void =>
      state === 'received' ? this.policies.run(id) : this.attempts.resume(id, state);
    const snapshots = options.recovery?.snapshots;
    if (snapshots) {
      // Woken resting messages may queue for slots up to twice the slots (at least 50) at a time.
      const room = Math.max(50, 2 * slots.size);
      this.resting = new RestingMessages({
        log: options.log,
        machine: this.machine,
        actors: this.actors,
        source: snapshots,
        logger: options.logger ?? silentLogger,
        resume,
        room: () => room - slots.waitingCount,
      });
      slots.onRelease(() => this.resting?.pump());
    }
    this.resume = resume;
    this.retry = retry;
    this.operator = new OperatorCommands(this.actors, this.resting);
    this.shared =
      options.shared &&
      new SharedWork(options.shared, {
        log: options.log,
        machine: this.machine,
        actors: this.actors,
        freeSlots: () => this.attempts.freeSlots,
        resume,
      });
  }

  addPrequeuePolicy(policy: PrequeuePolicy): this {
    this.prequeue.push(policy);
    return this;
  }

  /**
   * A relay policy runs before each attempt and its headers go into that attempt's copy only:
   * nothing is recorded (slimta's RelayPolicy). Recipient rewrites and splits are prequeue
   * matters and are ignored here.
   */
  addRelayPolicy(policy: RelayPolicy): this {
    this.relayPolicies.push(policy);
    return this;
  }

  /**
   * Store the body (its envelope in the same file) and record MessageReceived; resolves with
   * the queue id once both are durable. With `stored`, the body is already in the spool
   * (`mailtrail requeue` of a quarantined or recovered body) and is never removed here.
   */
  async enqueue(input: EnqueueInput): Promise<string> {
    if (this.actors.stopping) throw new InvariantError('the queue is stopping');
    const now = this.actors.now();
    const id = input.id ?? newQueueId(now);
    const at = input.receivedAt ?? new Date(now).toISOString();
    const stored =
      input.stored ??
      (await this.spool.store(id, input.body ?? [], {
        ...(this.options.maxMessageSize ? { maxSize: this.options.maxMessageSize } : {}),
        envelope: spooledEnvelopeOf(input, at),
      }));
    // The header block as the spool saw it stream past (read back only for a body stored before).
    const rawHeaders = stored.headerBlock ?? (await readHeaderBlock(this.spool.open(stored.ref)).catch(() => ''));
    // Subject and Message-Id as received, for search (latin1 keeps every byte; 8-bit headers are UTF-8).
    const headerBlock = Buffer.from(rawHeaders, 'latin1').toString('utf8');
    const subject = headerValue(headerBlock, 'subject') ?? undefined;
    const headerMessageId = headerValue(headerBlock, 'message-id') ?? undefined;
    const actor = this.actors.create(id);
    this.captured.capture(id, rawHeaders);
    try {
      // An inline body commits with its MessageReceived: one transaction, one fsync for both.
      const bodies = stored.inline ? [{ id, bytes: stored.inline }] : [];
      await actor.recordWith({ bodies }, receivedEvent(id, input, stored, at, { subject, headerMessageId }));
      if (stored.inline) this.spool.committedInline(id, stored.inline);
    } catch (err) {
      this.captured.forget(id);
      this.actors.drop(id);
      if (!input.stored) await this.spool.remove(stored.ref).catch(() => undefined);
      throw err;
    }
    return id;
  }

  /**
   * Recover every live message from the log and resume it where its history stopped. With
   * `{ hold: true }` the recovered work (attempts, timers, DSNs) waits for `resumeWork()`: the
   * daemon binds its ports and drops root privileges in between, so no delivery ever runs as root.
   * The spool's orphan sweep runs here (`quarantined`), or with `{ sweep: 'later' }` when the
   * caller calls `sweepSpool()` (the daemon: once it listens, as it is O(bodies in the spool)).
   * The DSNs a crash kept from being sent are looked for (among every final message) as part
   * of the recovered work, and logged when there are any.
   */
  async start(
    options: { hold?: boolean; sweep?: 'now' | 'later' } = {},
  ): Promise<{ recovered: number; quarantined: string[]; background: boolean }> {
    // From here on a body this queue stores is never taken by the sweep, whenever it runs.
    this.spool.guardNewBodies();
    const onBounce = this.options.onBounce;
    // Shared mode: the whole queue folded from the log; start-up takes what is due now.
    await this.shared?.load();
    const source = this.shared?.recoverySource() ?? this.options.recovery;
    const { work, isKnown, scheduled, ...counts } = await recover({
      log: this.log,
      machine: this.machine,
      actors: this.actors,
      ...(source ? { source } : {}),
      resume: this.resume,
      ...(onBounce ? { sendBounce: (ctx: MessageContext) => onBounce(ctx, this.bounceQueue) } : {}),
      ...(this.resting ? { resting: this.resting } : {}),
      maxLifetime: this.retry.maxLifetime,
      logger: this.options.logger ?? silentLogger,
    });
    this.heldWork = work;
    this.isKnown = isKnown;
    this.scheduled = scheduled;
    const quarantined = options.sweep === 'later' ? [] : await this.sweepSpool();
    if (!options.hold) this.resumeWork();
    return { ...counts, quarantined };
  }

  /**
   * Move the spooled bodies no message of the log knows to quarantine (never unlinked), once,
   * after start(). Safe beside the edge: bodies stored since start() are never taken; it yields
   * to the event loop between batches and ends early when the queue stops. Called after
   * resumeWork(), it begins once the recovery has scheduled every live message (nothing waits
   * on the sweep, so it goes last). Resolves with the quarantined ids.
   */
  sweepSpool(): Promise<string[]> {
    const isKnown = this.isKnown;
    if (!isKnown) throw new InvariantError('sweepSpool() runs once, after start()');
    this.isKnown = undefined;
    const stop = () => this.actors.stopping;
    this.sweeping = this.scheduled().then(() => (stop() ? [] : this.spool.quarantineUnknown(isKnown, { stop })));
    return this.sweeping;
  }

  /** Start the work `start({ hold: true })` recovered. */
  resumeWork(): void {
    const work = this.heldWork;
    this.heldWork = [];
    for (const run of work) run();
    this.shared?.start();
  }

  /** Messages this process is working on (not final), with those resting without an actor. */
  get size(): number {
    return this.actors.size + (this.resting?.size ?? 0);
  }

  stateOf(id: string): string | undefined {
    return this.actors.get(id)?.state ?? this.resting?.stateOf(id);
  }

  contextOf(id: string): MessageContext | undefined {
    return this.actors.get(id)?.snapshot.context;
  }

  /** Delivery attempts in flight, and the messages waiting for a slot (first in line first). */
  get attemptSlots(): { inUse: number; waiting: string[] } {
    return this.attempts.slotUse;
  }

  /** Resolves once no task of the queue is running (what is left waits for a timer or a slot). */
  idle(): Promise<void> {
    return this.actors.idle();
  }

  // Operator commands: each is recorded as an event on the message's stream (in shared mode,
  // on a message this node does not hold too: it is read from the log first).

  private op(op: OperatorOp, id: string, by: string): Promise<string> {
    return this.shared ? this.shared.withActor(id, () => this.operator.run(op, id, by)) : this.operator.run(op, id, by);
  }

  retryNow(id: string, by = 'operator'): Promise<string> {
    return this.op('retry', id, by);
  }

  retryAll(by = 'operator'): Promise<number> {
    return this.operator.retryAll(by);
  }

  hold(id: string, by = 'operator'): Promise<string> {
    return this.op('hold', id, by);
  }

  release(id: string, by = 'operator'): Promise<string> {
    return this.op('release', id, by);
  }

  /** Run the prequeue policies and routing again (postsuper -r); settled recipients stay settled. */
  requeue(id: string, by = 'operator'): Promise<string> {
    return this.op('requeue', id, by);
  }

  delete(id: string, by = 'operator'): Promise<string> {
    return this.op('delete', id, by);
  }

  bounce(id: string, by = 'operator'): Promise<string> {
    return this.op('bounce', id, by);
  }

  /** Stop: no new work, timers disarmed, wait up to graceMs for attempts in flight, then abandon them. */
  async stop(graceMs = 10_000): Promise<void> {
    this.resting?.stop();
    await this.shared?.stop();
    await this.actors.stop(graceMs);
    // A sweep still running ends at its next batch; the log must outlive it.
    await this.sweeping?.catch(() => undefined);
    this.captured.clear();
  }
}

/** The options `new Queue(storage, relay, extra)` stands for. */
function tutorialOptions(storage: QueueStorage, relay: Relay | Router, extra: QueueExtraOptions): QueueOptions {
  const { localDomains, mailboxes, outbound, ...rest } = extra;
  return {
    hostname: hostname(),
    ...rest,
    log: storage.log,
    spool: storage.spool,
    ...(storage.recovery ? { recovery: storage.recovery } : {}),
    router:
      relay instanceof Router
        ? relay
        : new Router({
            localDomains: localDomains ?? [],
            localRelay: relay,
            ...(mailboxes ? { mailboxes } : {}),
            ...(outbound ? { outboundRelay: outbound } : {}),
          }),
    onBounce:
      extra.onBounce ??
      createBounceSender({ hostname: extra.hostname ?? hostname(), ...(extra.logger ? { logger: extra.logger } : {}) }),
  };
}
