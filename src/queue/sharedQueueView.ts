/**
 * SharedQueueView: every node's picture of the one queue on a shared log (PostgreSQL,
 * KurrentDB). `load()` folds every message stream once (readAll, which on PostgreSQL reads
 * only what has committed for good), then a subscription from there keeps the summaries
 * current as any node appends, so the due messages come from the log, not from one node's
 * memory. `dueIds(now)` lists the messages some node should work on now (dueWork below);
 * final messages are dropped from memory but stay known (isKnown). It is also the queue's
 * RecoverySource on a shared log. A subscription that fails is retried after a pause; while
 * it is down the view goes stale (nothing is done twice: claims decide), never wrong.
 */
import type { Logger } from 'pino';
import type { EventLog, Subscription } from '../eventlog/eventLog.js';
import { silentLogger } from '../logging/logger.js';
import { type MessageFold, type MessageSummary, foldMessage, isFinalState } from '../readmodel/messageSummary.js';
import { dsnIdFor } from '../mail/queueId.js';
import { MESSAGE_STREAM_PREFIX as MESSAGE_PREFIX } from '../mail/streamNames.js';
import { needsBounce, type RecoverySource } from '../readmodel/recoverySource.js';

/**
 * Does this message need a node now? `leaseMs` is how long a node may sit on a message
 * without a word before another takes it over (queue.claimLease).
 */
export function dueWork(s: MessageSummary, now: number, leaseMs: number): boolean {
  const quiet = Date.parse(s.updatedAt) + leaseMs <= now;
  const dueAt = s.nextAttemptAt ? Date.parse(s.nextAttemptAt) : undefined;
  switch (s.state) {
    case 'deferred':
      return dueAt === undefined || dueAt <= now;
    case 'received':
      // Policies deferred (spamd down): due at nextAttemptAt; else the receiving node died mid-policy.
      return dueAt !== undefined && dueAt <= now ? true : quiet;
    case 'policies-applied':
      // Its node died before claiming, or waits for a free slot: after a lease, anyone free.
      return quiet;
    case 'relay-attempted':
      return s.claim ? Date.parse(s.claim.leaseUntil) <= now : quiet;
    default:
      return false; // held waits for an operator; final states are done
  }
}

export interface SharedQueueViewOptions {
  readonly log: EventLog;
  readonly logger?: Logger;
  /** Called after each event folded (the scanner looks for work). */
  readonly onChange?: (id: string) => void;
  /** Pause before re-subscribing after an error. Default 1000 ms. */
  readonly retryMs?: number;
}

export class SharedQueueView implements RecoverySource {
  /** Live messages, folded by the machine (summary and the context to fold the next event). */
  private readonly live = new Map<string, MessageFold>();
  /** Final messages that may still owe a DSN. */
  private readonly finals = new Map<string, MessageFold>();
  /** Every final message's id (the summaries are dropped). */
  private readonly done = new Set<string>();
  private readonly bounced = new Set<string>();
  private position = -1n;
  private subscription: Subscription | undefined;
  private closed = false;
  private readonly logger: Logger;
  private listener: ((id: string) => void) | undefined;

  constructor(private readonly options: SharedQueueViewOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Folds the history so far; then follows the log until close(). */
  async load(): Promise<void> {
    for await (const e of this.options.log.readAll({ filter: { streamPrefixes: [MESSAGE_PREFIX] } })) this.fold(e);
    void this.follow();
  }

  private fold(e: Parameters<typeof foldMessage>[1]): void {
    if (e.position > this.position) this.position = e.position;
    const id = e.stream.slice(MESSAGE_PREFIX.length);
    let folded: MessageFold | undefined;
    try {
      folded = foldMessage(this.live.get(id) ?? this.finals.get(id), e);
    } catch (err) {
      // A history the machine refuses: say so and leave the message to `mailtrail history`.
      this.logger.error({ err, messageId: id, revision: e.revision }, 'shared queue view: event not folded');
      return;
    }
    if (!folded) return;
    const next = folded.summary;
    if (isFinalState(next.state)) {
      this.live.delete(id);
      this.done.add(id);
      // The fold is kept only while a DSN may still be owed.
      if (needsBounce(next)) this.finals.set(id, folded);
    } else {
      this.live.set(id, folded);
    }
    if (next.origin === 'dsn' && next.parentId) {
      this.bounced.add(next.parentId);
      this.finals.delete(next.parentId);
    }
    this.options.onChange?.(id);
    this.listener?.(id);
  }

  private async follow(): Promise<void> {
    while (!this.closed) {
      const sub = this.options.log.subscribe({
        fromPosition: this.position + 1n,
        filter: { streamPrefixes: [MESSAGE_PREFIX] },
      });
      this.subscription = sub;
      try {
        for await (const e of sub) {
          if (e.position <= this.position) continue;
          this.fold(e);
        }
      } catch (err) {
        if (this.closed) return;
        this.logger.warn({ err }, 'shared queue view: subscription failed, retrying');
        await new Promise((r) => setTimeout(r, this.options.retryMs ?? 1000));
      }
    }
  }

  /** Called after each event folded, besides `onChange` (the queue's scanner listens here). */
  setListener(fn: (id: string) => void): void {
    this.listener = fn;
  }

  get(id: string): MessageSummary | undefined {
    return (this.live.get(id) ?? this.finals.get(id))?.summary;
  }

  /** Live messages that need a node now, oldest first. */
  dueIds(now: number, leaseMs: number): string[] {
    return [...this.live.values()]
      .map((f) => f.summary)
      .filter((s) => dueWork(s, now, leaseMs))
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
      .map((s) => s.id);
  }

  liveMessages(): readonly MessageSummary[] {
    return [...this.live.values()].map((f) => f.summary);
  }

  unsentBounces(): readonly string[] {
    return [...this.finals.values()]
      .map((f) => f.summary)
      .filter((s) => needsBounce(s) && !this.bounced.has(s.id) && !this.isKnown(dsnIdFor(s.id)))
      .map((s) => s.id);
  }

  isKnown(id: string): boolean {
    return this.live.has(id) || this.done.has(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.subscription?.close();
  }
}
