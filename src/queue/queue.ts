/**
 * The queue: one event-sourced `message` actor per envelope. `enqueue` stores the body in the
 * spool (fsynced) and resolves once `MessageReceived` is durable — only then may the edge say
 * 250. The machine's named actions are implemented here: run the prequeue policies, start an
 * attempt (within the concurrency limit), deliver, arm the retry timer, finalize (DSN).
 * `start()` recovers live messages from the log and resumes each where its history stopped.
 */
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { messageMachine, MESSAGE_MACHINE_VERSION, type MessageMachine } from '../../machines/message.machine.js';
import type { MessageContext } from '../../machines/message.context.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { InvariantError } from '../errors/mailtrailError.js';
import { silentLogger } from '../log/logger.js';
import type { PrequeuePolicy } from '../policies/policy.js';
import { replay } from '../replay/replay.js';
import { EventSourcedActor } from '../runtime/eventSourcedActor.js';
import type { Spool } from '../spool/spool.js';
import type { EnqueueInput, QueueExtraOptions, QueueOptions, QueueStorage } from './queueOptions.js';
import { type RetryPolicy, defaultRetryPolicy, isExpired, retryDelay } from './backoff.js';
import { type OutcomeEvent, logOutcomes, runDeliveryAttempt } from './deliveryAttempt.js';
import { readHeaderBlock } from '../mail/headerBlock.js';
import { headerValue } from '../mail/headerFields.js';
import { isFinalState } from './messageSummary.js';
import { runPrequeuePolicies } from './prequeuePolicies.js';
import { headerBlockOf, pendingMessageOf, queuedMessageOf } from './queuedMessage.js';
import { UnknownMessageError } from './queueErrors.js';
import { scanRecoverySource } from './recoverySource.js';
import { messageStream, newQueueId } from './queueId.js';
import { enqueueSplitChildren } from './splitChildren.js';
import { receivedEvent, spooledEnvelopeOf } from './receivedEvent.js';
import { type RouteContext, Router, routeContextOf } from './router.js';
import type { Relay } from '../relay/relay.js';
import { createBounceSender } from '../bounce/bounceSender.js';
import { hostname } from 'node:os';
import { Semaphore } from './semaphore.js';

type Actor = EventSourcedActor<MessageMachine>;

export type { RecoverySource } from './recoverySource.js';
export type { QueueOptions, EnqueueInput, QueueStorage, QueueExtraOptions } from './queueOptions.js';
export { headerBlockOf, queuedMessageOf } from './queuedMessage.js';
export { UnknownMessageError } from './queueErrors.js';

export class Queue {
  readonly log: EventLog;
  readonly spool: Spool;
  readonly hostname: string;
  private readonly router: Router;
  private readonly retry: RetryPolicy;
  private readonly slots: Semaphore;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly machine: MessageMachine;
  private readonly prequeue: PrequeuePolicy[] = [];
  private readonly relayPolicies: PrequeuePolicy[] = [];
  private readonly actors = new Map<string, Actor>();
  /** Header blocks the spool captured at receipt, until the prequeue policies have used them. */
  private readonly headerBlocks = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly releases = new Map<string, () => void>();
  private readonly tasks = new Set<Promise<void>>();
  private stopping = false;
  private heldWork: (() => void)[] = [];

  private readonly options: QueueOptions;

  /**
   * `new Queue(storage, relay)` as the tutorial reads (received mail goes to `relay`, DSNs to
   * `outbound` unless their domain is in `localDomains`; or a Router; DSNs on), or
   * `new Queue(options)` with every part named.
   */
  constructor(storage: QueueStorage, relay: Relay | Router, options?: QueueExtraOptions);
  constructor(options: QueueOptions);
  constructor(first: QueueStorage | QueueOptions, relay?: Relay | Router, extra: QueueExtraOptions = {}) {
    const { localDomains, mailboxes, outbound, ...rest } = extra;
    const options: QueueOptions =
      relay === undefined
        ? (first as QueueOptions)
        : {
            hostname: hostname(),
            ...rest,
            log: first.log,
            spool: first.spool,
            ...(first.recovery ? { recovery: first.recovery } : {}),
            router: relay instanceof Router ? relay : new Router({
              localDomains: localDomains ?? [], localRelay: relay, ...(mailboxes ? { mailboxes } : {}), ...(outbound ? { outboundRelay: outbound } : {}),
            }),
            onBounce: extra.onBounce ?? createBounceSender({ hostname: extra.hostname ?? hostname(), ...(extra.logger ? { logger: extra.logger } : {}) }),
          };
    this.options = options;
    this.log = options.log;
    this.spool = options.spool;
    this.hostname = options.hostname;
    this.router = options.router;
    this.retry = options.retry ?? defaultRetryPolicy;
    this.slots = new Semaphore(options.concurrency ?? 20);
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    const task = (name: string, fn: (id: string) => Promise<void>) => ({ context }: { context: MessageContext }) =>
      this.spawn(context.messageId, name, () => fn(context.messageId));
    this.machine = messageMachine.provide({
      actions: {
        runPolicies: task('runPolicies', (id) => this.runPolicies(id)),
        startAttempt: task('startAttempt', (id) => this.startAttempt(id)),
        deliver: task('deliver', (id) => this.deliver(id)),
        scheduleRetry: ({ context }) => this.scheduleRetry(context),
        cancelRetry: ({ context }) => this.clearTimer(context.messageId),
        // The children were queued (durably) before MessageSplit was recorded: nothing left to do.
        enqueueChildren: ({ context }) => this.child(context.messageId).info({ children: context.children }, 'split'),
        finalize: task('finalize', (id) => this.finalize(id)),
      },
    }) as MessageMachine;
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
  addRelayPolicy(policy: PrequeuePolicy): this {
    this.relayPolicies.push(policy);
    return this;
  }

  /**
   * Store the body (its envelope in the same file) and record MessageReceived; resolves with
   * the queue id once both are durable. With `stored`, the body is already in the spool
   * (`mailtrail requeue` of a quarantined or recovered body) and is never removed here.
   */
  async enqueue(input: EnqueueInput): Promise<string> {
    if (this.stopping) throw new InvariantError('the queue is stopping');
    const id = input.id ?? newQueueId(this.now());
    const at = input.receivedAt ?? new Date(this.now()).toISOString();
    const stored = input.stored ?? await this.spool.store(id, input.body ?? [], {
      ...(this.options.maxMessageSize ? { maxSize: this.options.maxMessageSize } : {}),
      envelope: spooledEnvelopeOf(input, at),
    });
    // The header block as the spool saw it stream past (read back only for a body stored before).
    const rawHeaders = stored.headerBlock ?? await readHeaderBlock(this.spool.open(stored.ref)).catch(() => '');
    // Subject and Message-Id as received, for search (latin1 keeps every byte; 8-bit headers are UTF-8).
    const headerBlock = Buffer.from(rawHeaders, 'latin1').toString('utf8');
    const subject = headerValue(headerBlock, 'subject') ?? undefined;
    const headerMessageId = headerValue(headerBlock, 'message-id') ?? undefined;
    const actor = this.newActor(id);
    this.headerBlocks.set(id, rawHeaders);
    try {
      // An inline body commits with its MessageReceived: one transaction, one fsync for both.
      const bodies = stored.inline ? [{ id, bytes: stored.inline }] : [];
      await actor.recordWith({ bodies }, receivedEvent(id, input, stored, at, { subject, headerMessageId }));
    } catch (err) {
      this.headerBlocks.delete(id);
      this.actors.delete(id);
      actor.stop();
      if (!input.stored) await this.spool.remove(stored.ref).catch(() => undefined);
      throw err;
    }
    return id;
  }

  /** Recover every live message from the log and resume it where its history stopped. */
  /**
   * Recover and resume. With `{ hold: true }` the recovered work (attempts, timers, DSNs) waits
   * for `resumeWork()`: the daemon binds its ports and drops root privileges in between, so no
   * delivery ever runs as root.
   */
  async start(options: { hold?: boolean } = {}): Promise<{ recovered: number; quarantined: string[]; bounces: number }> {
    const work: (() => void)[] = [];
    const source = this.options.recovery ?? (await scanRecoverySource(this.log));
    // A body the log does not know (its MessageReceived never became durable, or the log lost
    // it) is not deleted on the strength of the log: it goes to quarantine with its envelope.
    const quarantined = await this.spool.quarantineUnknown((id) => source.isKnown(id));
    for (const summary of await source.liveMessages()) {
      const stream = messageStream(summary.id);
      const replayed = await replay(this.log, stream, this.machine);
      if (replayed.revision === null || isFinalState(replayed.state)) continue;
      const actor = new EventSourcedActor({ log: this.log, stream, machine: this.machine, identity: MESSAGE_IDENTITY, from: replayed, ...this.inspectOptions(summary.id) });
      this.actors.set(summary.id, actor);
      work.push(() => this.resume(summary.id, replayed.state));
    }
    const bounces = this.options.onBounce ? await source.unsentBounces() : [];
    for (const id of bounces) {
      const replayed = await replay(this.log, messageStream(id), this.machine);
      work.push(() => this.spawn(id, 'bounce', () => this.options.onBounce!(replayed.snapshot.context, this)));
    }
    this.heldWork = work;
    if (!options.hold) this.resumeWork();
    return { recovered: this.actors.size, quarantined, bounces: bounces.length };
  }

  /** Start the work `start({ hold: true })` recovered. */
  resumeWork(): void {
    const work = this.heldWork;
    this.heldWork = [];
    for (const run of work) run();
  }

  /** Messages this process is working on (not final). */
  get size(): number {
    return this.actors.size;
  }

  stateOf(id: string): string | undefined {
    return this.actors.get(id)?.state;
  }

  contextOf(id: string): MessageContext | undefined {
    return this.actors.get(id)?.snapshot.context;
  }

  /** Operator commands: recorded as events on the message's stream. */
  async retryNow(id: string, by = 'operator'): Promise<string> {
    const actor = this.requireActor(id);
    if (actor.state === 'received') {
      this.clearTimer(id);
      this.spawn(id, 'runPolicies', () => this.runPolicies(id, true));
      return actor.state;
    }
    return actor.record({ type: 'RetryRequested', at: this.iso(), by });
  }

  async retryAll(by = 'operator'): Promise<number> {
    const ids = [...this.actors].filter(([, a]) => a.state === 'deferred' || a.state === 'received').map(([id]) => id);
    await Promise.all(ids.map((id) => this.retryNow(id, by)));
    return ids.length;
  }

  hold(id: string, by = 'operator'): Promise<string> {
    return this.requireActor(id).record({ type: 'MessageHeld', at: this.iso(), by });
  }

  release(id: string, by = 'operator'): Promise<string> {
    return this.requireActor(id).record({ type: 'MessageReleased', at: this.iso(), by });
  }

  /** Run the prequeue policies and routing again (postsuper -r); settled recipients stay settled. */
  requeue(id: string, by = 'operator'): Promise<string> {
    return this.requireActor(id).record({ type: 'MessageRequeued', at: this.iso(), by });
  }

  delete(id: string, by = 'operator'): Promise<string> {
    return this.requireActor(id).record({ type: 'MessageDeleted', at: this.iso(), by });
  }

  bounce(id: string, by = 'operator'): Promise<string> {
    return this.requireActor(id).record({ type: 'MessageBounced', at: this.iso(), reason: 'bounced by the operator', by });
  }

  /** Stop: no new work, timers disarmed, wait up to graceMs for attempts in flight, then abandon them. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.tasks]), new Promise((r) => { timer = setTimeout(r, graceMs); })]);
    clearTimeout(timer);
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
    this.headerBlocks.clear();
  }

  // --- the machine's actions -------------------------------------------------------------

  private resume(id: string, state: string): void {
    switch (state) {
      case 'received': this.spawn(id, 'runPolicies', () => this.runPolicies(id)); break;
      case 'policies-applied':
      case 'relay-attempted': this.spawn(id, 'startAttempt', () => this.startAttempt(id)); break;
      case 'deferred': this.scheduleRetry(this.requireActor(id).snapshot.context); break;
      default: break; // held: waits for an operator
    }
  }

  private async runPolicies(id: string, force = false): Promise<void> {
    const actor = this.requireActor(id);
    const ctx = actor.snapshot.context;
    // Taken once: a later run (deferred policies, recovery) reads the header block from the spool.
    const captured = this.headerBlocks.get(id);
    this.headerBlocks.delete(id);
    if (!force && ctx.nextAttemptAt && Date.parse(ctx.nextAttemptAt) > this.now()) {
      this.setTimer(id, Date.parse(ctx.nextAttemptAt), () => this.spawn(id, 'runPolicies', () => this.runPolicies(id)));
      return;
    }
    if (isExpired(this.retry, ctx.receivedAt, this.now())) {
      await actor.record({ type: 'MessageExpired', at: this.iso(), reason: `message expired in the queue${ctx.lastReason ? ` (${ctx.lastReason})` : ''}` });
      return;
    }
    let outcome;
    try {
      outcome = await runPrequeuePolicies({
        policies: this.prequeue,
        from: ctx.policiesFrom,
        message: pendingMessageOf(ctx),
        hostname: this.hostname,
        now: new Date(this.now()),
        readHeaders: async () => captured ?? readHeaderBlock(this.spool.open(ctx.bodyRef)),
        openMessage: (headers) => this.spool.open(ctx.bodyRef, { prepend: headerBlockOf(headers) }),
      });
    } catch (err) {
      const reason = `${(err as Error).message}`;
      const retryAt = this.now() + retryDelay(this.retry, ctx.receivedAt, this.now());
      this.child(id).warn({ err: reason }, 'policies deferred');
      await actor.record({ type: 'PoliciesDeferred', reason, nextAttemptAt: new Date(retryAt).toISOString(), at: this.iso() });
      return;
    }
    if (outcome.kind === 'split') {
      const children = await enqueueSplitChildren(this, ctx, outcome.headers, outcome.groups, outcome.nextPolicy);
      await actor.record({ type: 'MessageSplit', children, at: this.iso() });
      return;
    }
    const { headers, verdicts, recipients } = outcome;
    const applied = {
      type: 'PoliciesApplied' as const,
      headers,
      ...(recipients ? { recipients } : {}),
      ...(Object.keys(verdicts).length ? { verdicts } : {}),
      at: this.iso(),
    };
    // With a delivery slot free right now, the first attempt rides in the same commit (one
    // fsync fewer per message); the startAttempt action the first event triggers then sees
    // the slot taken and does nothing. Otherwise the attempt waits for a slot as usual.
    const pending = recipients ?? ctx.recipients.map((r) => r.address);
    const release = this.stopping || pending.length === 0 || ctx.attempts > 0 ? undefined : this.slots.tryAcquire();
    if (!release) {
      await actor.record(applied);
      return;
    }
    this.releases.set(id, release);
    try {
      await actor.record(applied, this.attemptEvent(1, pending, routeContextOf(ctx)));
    } catch (err) {
      this.releaseSlot(id);
      throw err;
    }
  }

  /** The RelayAttempted event for these (pending) recipients, naming the relays they route to. */
  private attemptEvent(attempt: number, recipients: string[], routeContext: RouteContext) {
    const relays = [...new Set(recipients.map((r) => { const route = this.router.route(r, routeContext); return 'relay' in route ? route.relay.name : 'none'; }))];
    return { type: 'RelayAttempted' as const, attempt, recipients, relay: relays.join(','), at: this.iso() };
  }

  private async startAttempt(id: string): Promise<void> {
    // A slot already held for this message means its attempt is under way (see runPolicies).
    if (this.stopping || this.releases.has(id)) return;
    const release = await this.slots.acquire();
    const actor = this.actors.get(id);
    if (this.stopping || !actor || this.releases.has(id) || !['policies-applied', 'deferred', 'relay-attempted'].includes(actor.state)) {
      release();
      return;
    }
    this.releases.set(id, release);
    const ctx = actor.snapshot.context;
    const pending = ctx.recipients.filter((r) => r.status === 'pending').map((r) => r.address);
    try {
      await actor.record(this.attemptEvent(ctx.attempts + 1, pending, routeContextOf(ctx)));
    } catch (err) {
      this.releaseSlot(id);
      throw err;
    }
  }

  private async deliver(id: string): Promise<void> {
    const actor = this.requireActor(id);
    const ctx = actor.snapshot.context;
    const nextAttemptAt = new Date(this.now() + retryDelay(this.retry, ctx.receivedAt, this.now())).toISOString();
    try {
      let headers = ctx.headers;
      let outcomes: OutcomeEvent[];
      try {
        if (this.relayPolicies.length) headers = [...(await this.runRelayPolicies(ctx)), ...ctx.headers];
        outcomes = await runDeliveryAttempt({
          context: ctx,
          message: queuedMessageOf(ctx),
          router: this.router,
          openContent: ({ lineEndings }) => this.spool.open(ctx.bodyRef, { prepend: headerBlockOf(headers), lineEndings }),
          readHeaders: () => readHeaderBlock(this.spool.open(ctx.bodyRef, { prepend: headerBlockOf(headers) })),
          now: this.now,
          nextAttemptAt,
          logger: this.child(id),
        });
      } catch (err) {
        // A relay policy that cannot run now defers the whole attempt.
        const reply = `relay policy failed: ${(err as Error).message}`;
        outcomes = ctx.recipients.filter((r) => r.inFlight).map((r) => ({
          type: 'DeliveryDeferred' as const, recipient: r.address, status: '4.3.0', reply, relay: 'none', at: this.iso(), nextAttemptAt,
        }));
      }
      if (this.stopping && this.actors.size === 0) return;
      await actor.record(...outcomes);
      logOutcomes(this.child(id), outcomes, (this.now() - Date.parse(ctx.receivedAt)) / 1000);
    } finally {
      this.releaseSlot(id);
    }
  }

  /** Called with the context being entered (the actor's snapshot still shows the state before). */
  private async runRelayPolicies(ctx: MessageContext): Promise<string[]> {
    const outcome = await runPrequeuePolicies({
      policies: this.relayPolicies,
      from: 0,
      message: queuedMessageOf(ctx),
      hostname: this.hostname,
      now: new Date(this.now()),
      readHeaders: () => readHeaderBlock(this.spool.open(ctx.bodyRef, { prepend: headerBlockOf(ctx.headers) })),
      openMessage: (headers) => this.spool.open(ctx.bodyRef, { prepend: headerBlockOf([...headers, ...ctx.headers]) }),
    });
    return outcome.headers;
  }

  private scheduleRetry(ctx: MessageContext): void {
    const id = ctx.messageId;
    if (this.stopping) return;
    const due = Math.min(ctx.nextAttemptAt ? Date.parse(ctx.nextAttemptAt) : this.now(), Date.parse(ctx.receivedAt) + this.retry.maxLifetime);
    this.setTimer(id, due, () => this.spawn(id, 'retry', async () => {
      const actor = this.requireActor(id);
      if (actor.state !== 'deferred') return;
      if (isExpired(this.retry, ctx.receivedAt, this.now())) {
        await actor.record({ type: 'MessageExpired', at: this.iso(), reason: 'message expired in the queue' });
      } else {
        await this.startAttempt(id);
      }
    }));
  }

  private async finalize(id: string): Promise<void> {
    const actor = this.actors.get(id);
    if (!actor) return;
    const ctx = actor.snapshot.context;
    this.child(id).info({ state: actor.state }, `${actor.state}`);
    this.options.onFinal?.(id, actor.state, ctx);
    const failed = ctx.recipients.filter((r) => r.status === 'failed');
    if (failed.length > 0 && ctx.sender === '' && actor.state !== 'deleted') {
      // Postfix's double bounce: a bounce that cannot be delivered is logged, never returned.
      this.child(id).warn({ to: failed.map((r) => r.address), parentId: ctx.parentId }, `undeliverable ${ctx.origin === 'dsn' ? 'bounce' : 'mail from <>'} (double bounce), not returned: ${failed.map((r) => `<${r.address}>: ${r.dsn} ${r.reply}`).join('; ')}`);
    }
    if (failed.length > 0 && ctx.sender !== '' && actor.state !== 'deleted' && this.options.onBounce) await this.options.onBounce(ctx, this);
    this.actors.delete(id);
    actor.stop();
  }

  // --- plumbing ---------------------------------------------------------------------------

  private newActor(id: string): Actor {
    if (this.actors.has(id)) throw new InvariantError(`message ${id} is already queued`);
    const actor = new EventSourcedActor({ log: this.log, stream: messageStream(id), machine: this.machine, identity: MESSAGE_IDENTITY, ...this.inspectOptions(id) });
    this.actors.set(id, actor);
    return actor;
  }

  private inspectOptions(id: string): { actorOptions?: { id: string; inspect: (event: InspectionEvent) => void } } {
    const inspect = this.options.inspect;
    return inspect ? { actorOptions: { id: messageStream(id), inspect } } : {};
  }

  private requireActor(id: string): Actor {
    const actor = this.actors.get(id);
    if (!actor) throw new UnknownMessageError(id);
    return actor;
  }

  private spawn(id: string, name: string, fn: () => Promise<void>): void {
    const run = new Promise<void>((resolve) => setImmediate(resolve)).then(fn).catch((err: unknown) => {
      this.child(id).error({ err, task: name }, `${name} failed`);
    });
    this.tasks.add(run);
    void run.finally(() => this.tasks.delete(run));
  }

  private setTimer(id: string, at: number, fn: () => void): void {
    this.clearTimer(id);
    const timer = setTimeout(() => { this.timers.delete(id); fn(); }, Math.max(0, Math.min(at - this.now(), 2 ** 31 - 1)));
    this.timers.set(id, timer);
  }

  private clearTimer(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  private releaseSlot(id: string): void {
    this.releases.get(id)?.();
    this.releases.delete(id);
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  private child(id: string): Logger {
    return this.logger.child({ messageId: id });
  }
}

export const MESSAGE_IDENTITY = { name: 'message', version: MESSAGE_MACHINE_VERSION } as const;
