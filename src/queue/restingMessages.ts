/**
 * Messages resting in the queue without an actor: the deferred (and policies-deferred) ones
 * start-up found, as entries in a due-time index, and the held ones, as ids. Nothing of theirs
 * is in memory but the id and the due time. A message gets its actor back (`wake`) when it
 * falls due — a few at a time, as the attempt line has room — or when an operator touches it:
 * restored from its stored snapshot (snapshotProjection.ts), or, when that is missing, corrupt,
 * from an older machine or behind its stream, by folding its history, which is logged.
 */
import type { Logger } from 'pino';
import type { MessageMachine } from '../../machines/message.machine.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { replay } from '../replay/replay.js';
import { DueIndex } from './dueIndex.js';
import type { MessageActor, MessageActors } from './messageActors.js';
import { restoreSnapshot, type SnapshotProblem } from '../readmodel/messageSnapshot.js';
import { isFinalState } from '../readmodel/messageSummary.js';
import { messageStream } from '../mail/streamNames.js';
import type { SnapshotSource } from '../readmodel/recoverySource.js';

export interface RestingOptions {
  readonly log: EventLog;
  readonly machine: MessageMachine;
  readonly actors: MessageActors;
  readonly source: SnapshotSource;
  readonly logger: Logger;
  /** Continue a woken message from its state (the retry, the policies, an attempt). */
  readonly resume: (id: string, state: string) => void;
  /** How many woken messages may wait for an attempt slot before the next are woken. */
  readonly room: () => number;
}

/** States a message rests in, waiting for its time (deferred) or for an operator (held). */
const RESTING = new Set(['deferred', 'held']);
/** Log this many fallbacks one by one; then only the count at the end of recovery. */
const LOUD_LIMIT = 20;

export class RestingMessages {
  private readonly due: DueIndex;
  private readonly held = new Set<string>();
  private readonly waking = new Map<string, Promise<MessageActor | undefined>>();
  readonly fallbacks: Record<SnapshotProblem, number> = { missing: 0, corrupt: 0, 'machine-version': 0, behind: 0 };
  private loud = 0;

  constructor(private readonly options: RestingOptions) {
    this.due = new DueIndex(options.actors.scheduler, () => this.pump());
  }

  get size(): number {
    return this.due.size + this.held.size;
  }

  has(id: string): boolean {
    return this.due.has(id) || this.held.has(id);
  }

  stateOf(id: string): string | undefined {
    return this.due.stateOf(id) ?? (this.held.has(id) ? 'held' : undefined);
  }

  /** Every resting id (an operator's retry-all). */
  ids(): string[] {
    return [...this.due.ids(), ...this.held];
  }

  /** Rest `id` until `dueAt` (a deferred message, or one whose policies were deferred). */
  restUntil(id: string, dueAt: number, state: string): void {
    this.due.add(id, dueAt, state);
  }

  restHeld(id: string): void {
    this.held.add(id);
  }

  /** Wake as many due messages as the attempt line has room for. */
  pump(): void {
    if (this.options.actors.stopping) return;
    for (;;) {
      const room = this.options.room() - this.waking.size;
      if (room <= 0) return;
      const ids = this.due.take(Math.min(room, 100));
      if (ids.length === 0) return;
      for (const id of ids) void this.wakeAndResume(id);
    }
  }

  private async wakeAndResume(id: string): Promise<void> {
    try {
      const actor = await this.wake(id);
      if (actor && !this.options.actors.stopping) this.options.resume(id, actor.state);
    } catch (err) {
      this.options.actors.child(id).error({ err }, 'waking a resting message failed');
    } finally {
      // Its place among the waking is free again (the line of attempts calls pump() as well).
      this.pump();
    }
  }

  /**
   * For an operator's command: the live actor, or the message woken and resumed (its retry
   * timer re-armed, say) before the command is recorded on it, so a command its state refuses
   * leaves it scheduled as before.
   */
  async actorFor(id: string): Promise<MessageActor | undefined> {
    const live = this.options.actors.get(id);
    if (live) return live;
    const actor = await this.wake(id);
    if (actor && !this.options.actors.stopping) this.options.resume(id, actor.state);
    return actor;
  }

  /**
   * The actor of message `id`: the live one, or one restored now for a resting or recovered
   * message (undefined when the message is final or unknown). Concurrent calls share one wake.
   */
  wake(id: string): Promise<MessageActor | undefined> {
    const live = this.options.actors.get(id);
    if (live) return Promise.resolve(live);
    let pending = this.waking.get(id);
    if (!pending) {
      this.due.remove(id);
      this.held.delete(id);
      pending = this.restore(id).finally(() => this.waking.delete(id));
      this.waking.set(id, pending);
    }
    return pending;
  }

  private async restore(id: string): Promise<MessageActor | undefined> {
    const { source, actors, machine } = this.options;
    const entry = source.restingEntry(id);
    if (!entry || isFinalState(entry.state)) return undefined;
    const restored = restoreSnapshot(entry.snapshot, entry.revision, machine);
    if (restored.ok) return actors.get(id) ?? actors.create(id, restored);
    // No usable snapshot: fold the history. Expected for a message caught mid-step (no
    // snapshot is kept there); anything else is a damaged or outdated projection row.
    const expected = restored.problem === 'missing' || restored.problem === 'behind';
    if (!(expected && !RESTING.has(entry.state))) {
      this.fallbacks[restored.problem] += 1;
      if (this.loud++ < LOUD_LIMIT) {
        actors
          .child(id)
          .warn(
            { problem: restored.problem, state: entry.state },
            `no usable stored snapshot (${restored.detail}): folding the message's history instead; mailtrail rebuild-projections recomputes the snapshots`,
          );
      }
    }
    const replayed = await replay(this.options.log, messageStream(id), machine);
    if (replayed.revision === null || isFinalState(replayed.state)) return undefined;
    return actors.get(id) ?? actors.create(id, replayed);
  }

  /** Fallbacks to folding since start, by reason (for recovery's closing line). */
  fallbackCount(): number {
    return Object.values(this.fallbacks).reduce((a, b) => a + b, 0);
  }

  stop(): void {
    this.due.stop();
  }
}
