/**
 * MemoryEventLog: an in-process EventLog kept in an array — for fast unit tests ONLY.
 * Nothing is durable; "reopen" means a new MemoryEventLog over the same MemoryStorage.
 * Appends are checked and applied synchronously in call order, data is deep-copied in and
 * out, positions start at 1n. Subscriptions follow a position cursor (MemorySubscription).
 * Fails with ExpectedRevisionConflictError on a revision mismatch and EventLogClosedError
 * after close().
 */
import { InvariantError } from '../../errors/mailtrailError.js';
import {
  EventLogClosedError,
  ExpectedRevisionConflictError,
  matchesFilter,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventLog,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../eventLog.js';
import { MemorySubscription } from './memorySubscription.js';
import { createMemoryStorage, lowerBound, type MemoryStorage } from './memoryStorage.js';

export { createMemoryStorage, type MemoryStorage } from './memoryStorage.js';

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryEventLog implements EventLog {
  readonly storage: MemoryStorage;
  private closed = false;
  private readonly subscriptions = new Set<MemorySubscription>();

  constructor(storage: MemoryStorage = createMemoryStorage()) {
    this.storage = storage;
  }

  async append(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) throw new EventLogClosedError();
    if (events.length === 0) throw new InvariantError(`append to ${stream}: no events`);
    if (options.bodies?.length)
      throw new InvariantError(`append to ${stream}: this log keeps no bodies (the spool must write files)`);
    const expected = options.expectedRevision ?? 'any';
    const current = this.storage.revisions.get(stream);
    const mismatch =
      (expected === 'no_stream' && current !== undefined) || (typeof expected === 'bigint' && current !== expected);
    if (mismatch) throw new ExpectedRevisionConflictError(stream, expected, current ?? 'no_stream');

    const recordedAt = new Date().toISOString();
    const last = this.storage.events.at(-1);
    let position = last ? last.position : 0n;
    let revision = current ?? -1n;
    for (const event of events) {
      position += 1n;
      revision += 1n;
      this.storage.events.push({
        stream,
        revision,
        position,
        type: event.type,
        data: copy(event.data),
        metadata: copy(event.metadata ?? {}),
        recordedAt,
      });
    }
    this.storage.revisions.set(stream, revision);
    for (const sub of this.subscriptions) sub.wake();
    return { nextExpectedRevision: revision, position };
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    if (this.closed) throw new EventLogClosedError();
    const from = options.fromRevision ?? 0n;
    let left = options.maxCount ?? Infinity;
    for (const event of this.storage.events.filter((e) => e.stream === stream && e.revision >= from)) {
      if (left-- <= 0) return;
      yield copy(event);
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    if (this.closed) throw new EventLogClosedError();
    let left = options.maxCount ?? Infinity;
    const events = this.storage.events;
    for (let i = lowerBound(events, options.fromPosition ?? 0n); i < events.length && left > 0; i++) {
      if (this.closed) throw new EventLogClosedError();
      const event = events[i]!;
      if (!matchesFilter(event, options.filter)) continue;
      left--;
      yield copy(event);
    }
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new EventLogClosedError();
    const from =
      options.fromPosition === 'end' ? (this.storage.events.at(-1)?.position ?? 0n) + 1n : (options.fromPosition ?? 0n);
    const sub = new MemorySubscription(this.storage, from, options.filter, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((sub) => sub.close()));
  }
}
