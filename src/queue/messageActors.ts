/**
 * The queue's live messages: one event-sourced actor per message not yet final, the background
 * tasks their actions start (so `stop()` can wait for them), one timer per message on the
 * injected scheduler, and the per-message child logger. Shared by the queue's aspects
 * (intake, recovery, policies, attempts, operator commands); holds no decisions of its own.
 */
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import type { MessageMachine } from '../../machines/message.machine.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { InvariantError } from '../errors/mailtrailError.js';
import { EventSourcedActor, type MachineIdentity } from '../runtime/eventSourcedActor.js';
import type { ReplayResult } from '../replay/replay.js';
import { lostRace } from './attemptClaims.js';
import { UnknownMessageError } from './queueErrors.js';
import { messageStream } from '../mail/streamNames.js';
import type { Scheduler } from './scheduler.js';

export type MessageActor = EventSourcedActor<MessageMachine>;

export interface MessageActorsOptions {
  readonly log: EventLog;
  readonly machine: MessageMachine;
  readonly identity: MachineIdentity;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly inspect?: (event: InspectionEvent) => void;
  /**
   * On a shared log other nodes write the same streams: a task that loses a race (a revision
   * conflict, a claim another node's lease still holds) lets the message go instead of failing.
   */
  readonly shared?: boolean;
}

export class MessageActors {
  readonly scheduler: Scheduler;
  private readonly actors = new Map<string, MessageActor>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly timers = new Map<string, () => void>();
  private stopped = false;

  constructor(private readonly options: MessageActorsOptions) {
    this.scheduler = options.scheduler;
  }

  /** True once `stop()` began: no new work starts. */
  get stopping(): boolean {
    return this.stopped;
  }

  get size(): number {
    return this.actors.size;
  }

  entries(): IterableIterator<[string, MessageActor]> {
    return this.actors.entries();
  }

  get(id: string): MessageActor | undefined {
    return this.actors.get(id);
  }

  require(id: string): MessageActor {
    const actor = this.actors.get(id);
    if (!actor) throw new UnknownMessageError(id);
    return actor;
  }

  /** A new message's actor (empty stream), or one resumed from where `from` (a replay) left it. */
  create(id: string, from?: Pick<ReplayResult<MessageMachine>, 'snapshot' | 'revision'>): MessageActor {
    if (this.actors.has(id)) throw new InvariantError(`message ${id} is already queued`);
    const inspect = this.options.inspect;
    const actor = new EventSourcedActor({
      log: this.options.log,
      stream: messageStream(id),
      machine: this.options.machine,
      identity: this.options.identity,
      shareFold: true,
      ...(from ? { from } : {}),
      ...(inspect ? { actorOptions: { id: messageStream(id), inspect } } : {}),
    });
    this.actors.set(id, actor);
    return actor;
  }

  /** Forget a message's actor (final, or its MessageReceived never became durable). */
  drop(id: string): void {
    const actor = this.actors.get(id);
    this.actors.delete(id);
    actor?.stop();
  }

  /** Run `fn` on a later turn as a task of message `id`; a failure is logged, never thrown. */
  spawn(id: string, name: string, fn: () => Promise<void>): void {
    const run = new Promise<void>((resolve) => setImmediate(resolve)).then(fn).catch((err: unknown) => {
      if (this.options.shared && lostRace(err)) {
        // Another node wrote this message's stream first: it has it now (or will, after its lease).
        this.child(id).debug({ task: name }, `${name}: another node has this message, letting it go`);
        this.clearTimer(id);
        this.drop(id);
        return;
      }
      if (this.stopped && err instanceof UnknownMessageError) {
        // stop() let go of the actors while this task waited: its step is in the log or it is
        // not, and the next start resumes the message from there. Nothing failed.
        this.child(id).debug({ task: name }, `${name}: left for the next start (stopping)`);
        return;
      }
      this.child(id).error({ err, task: name }, `${name} failed`);
    });
    this.tasks.add(run);
    void run.finally(() => this.tasks.delete(run));
  }

  /** Arm message `id`'s one timer for time `at` (replacing the one it had). */
  setTimer(id: string, at: number, fn: () => void): void {
    this.clearTimer(id);
    const cancel = this.scheduler.at(at, () => {
      this.timers.delete(id);
      fn();
    });
    this.timers.set(id, cancel);
  }

  clearTimer(id: string): void {
    this.timers.get(id)?.();
    this.timers.delete(id);
  }

  /** Resolves once no task is running (tests: the queue has nothing left to do until a timer fires). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** No new work, timers disarmed; wait up to graceMs for tasks in flight, then drop every actor. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.tasks]),
      new Promise((r) => {
        timer = setTimeout(r, graceMs);
      }),
    ]);
    clearTimeout(timer);
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
  }

  now(): number {
    return this.scheduler.now();
  }

  iso(): string {
    return new Date(this.scheduler.now()).toISOString();
  }

  child(id: string): Logger {
    return this.options.logger.child({ messageId: id });
  }
}
