/**
 * The queue's shared mode (several daemons on one PostgreSQL or KurrentDB log): the view of
 * the whole queue folded from the log (sharedQueueView.ts), the scanner that adopts messages
 * due on any node (dueScanner.ts), and what the facade needs from them: a start-up work list
 * (messages due now, and this node's own claims), `adopt(id)` (replay the stream, take the
 * message up where its history stopped) and `withActor(id, fn)` for operator commands on a
 * message this node does not hold (replay it, record at the revision read; on a conflict,
 * read again). Which node works on a message is decided by claims in the log, never here.
 */
import type { MessageMachine } from '../../machines/message.machine.js';
import { ExpectedRevisionConflictError, type EventLog } from '../eventlog/eventLog.js';
import { replay } from '../replay/replay.js';
import type { ClaimSettings } from './attemptClaims.js';
import { DueScanner } from './dueScanner.js';
import type { MessageActor, MessageActors } from './messageActors.js';
import { isFinalState } from '../readmodel/messageSummary.js';
import { messageStream } from '../mail/streamNames.js';
import type { RecoverySource } from '../readmodel/recoverySource.js';
import { type SharedQueueView, dueWork } from './sharedQueueView.js';

export interface SharedQueueOptions extends ClaimSettings {
  /** The queue as folded from the shared log (the daemon makes it on the queue's log). */
  readonly view: SharedQueueView;
}

export interface SharedWorkPorts {
  readonly log: EventLog;
  readonly machine: MessageMachine;
  readonly actors: MessageActors;
  /** Delivery slots this node could still fill. */
  readonly freeSlots: () => number;
  /** Continue a message from the state its history stopped in (the queue's resume). */
  readonly resume: (id: string, state: string) => void;
}

/** How often an operator command reads the stream again after losing a race. */
const OPERATOR_TRIES = 5;

export class SharedWork {
  private readonly scanner: DueScanner;
  private readonly adopting = new Set<string>();

  constructor(
    private readonly options: SharedQueueOptions,
    private readonly ports: SharedWorkPorts,
  ) {
    this.scanner = new DueScanner({
      view: options.view,
      leaseMs: options.leaseMs,
      now: () => ports.actors.now(),
      freeSlots: ports.freeSlots,
      isActive: (id) => ports.actors.get(id) !== undefined || this.adopting.has(id),
      adopt: (id) => this.adopt(id),
    });
    options.view.setListener(() => this.scanner.nudge());
  }

  /** Folds the log so far; the scanner starts with `start()`. */
  async load(): Promise<void> {
    await this.options.view.load();
  }

  /** Start-up's work: what is due now, what this node itself had claimed (a restart), and what waits for policies or a claim. */
  recoverySource(): RecoverySource {
    const { view, leaseMs, node } = this.options;
    const now = this.ports.actors.now();
    return {
      // Not another node's running attempt, nor a deferred message not yet due: a message some
      // node holds in memory meanwhile is settled by the revision check (the loser lets go).
      liveMessages: () =>
        view
          .liveMessages()
          .filter(
            (s) =>
              dueWork(s, now, leaseMs) ||
              s.state === 'received' ||
              s.state === 'policies-applied' ||
              (s.state === 'relay-attempted' && (!s.claim || s.claim.node === node)),
          ),
      unsentBounces: () => view.unsentBounces(),
      isKnown: (id) => view.isKnown(id),
    };
  }

  start(): void {
    this.scanner.start();
  }

  nudge(): void {
    this.scanner.nudge();
  }

  /** Take a message up: replay its stream and continue it (a lost race later lets it go). */
  adopt(id: string): void {
    if (this.adopting.has(id) || this.ports.actors.get(id)) return;
    this.adopting.add(id);
    this.ports.actors.spawn(id, 'adopt', async () => {
      try {
        const actor = await this.replayActor(id);
        if (actor) this.ports.resume(id, actor.state);
      } finally {
        this.adopting.delete(id);
      }
    });
  }

  /** An actor for `id` replayed from the log now (undefined: no such live message, or held). */
  private async replayActor(id: string, keepHeld = false): Promise<MessageActor | undefined> {
    if (this.ports.actors.stopping) return undefined;
    const replayed = await replay(this.ports.log, messageStream(id), this.ports.machine);
    if (replayed.revision === null || isFinalState(replayed.state)) return undefined;
    if (replayed.state === 'held' && !keepHeld) return undefined;
    if (this.ports.actors.get(id)) return undefined;
    return this.ports.actors.create(id, replayed);
  }

  /**
   * Run an operator's record on message `id` whether or not this node holds it: a missing or
   * stale actor is replaced by one replayed from the log, and a lost race is read again.
   */
  async withActor<T>(id: string, fn: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      if (!this.ports.actors.get(id)) await this.replayActor(id, true);
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof ExpectedRevisionConflictError) || tries >= OPERATOR_TRIES) throw err;
        this.ports.actors.clearTimer(id);
        this.ports.actors.drop(id);
      }
    }
  }

  async stop(): Promise<void> {
    this.scanner.stop();
    await this.options.view.close();
  }
}
