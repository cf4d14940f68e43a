/**
 * SqliteSubscription: catch-up then live over the events table, by a position cursor.
 * Each step reads one page past the cursor, bounded by the highest position at that moment,
 * then moves the cursor past that bound — so catch-up and live are one loop, with neither
 * gaps nor duplicates, and a rare filter does not rescan old rows. When nothing is left it
 * waits for wake() (this process committed) or pollMs (another process may have written).
 * close() ends a pending or later next() with done; a read error rejects next().
 */
import type { EventFilter, RecordedEvent, Subscription } from '../eventLog.js';
import type { EventReader } from './eventReader.js';

export interface SubscriptionSource {
  readonly reader: EventReader;
  readonly pageSize: number;
  readonly pollMs: number;
  /** Called once when the subscription closes. */
  readonly detach: () => void;
}

export class SqliteSubscription implements Subscription {
  private cursor: bigint;
  private buffer: RecordedEvent[] = [];
  private closed = false;
  private waiting: { resolve: () => void; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly source: SubscriptionSource,
    fromPosition: bigint,
    private readonly filter: EventFilter | undefined,
  ) {
    this.cursor = fromPosition;
  }

  /** New events may be there: end the current wait. */
  wake(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = undefined;
    clearTimeout(waiting.timer);
    waiting.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    this.source.detach();
    this.wake();
  }

  private fill(): void {
    const { reader, pageSize } = this.source;
    const upTo = reader.maxPosition();
    if (upTo < this.cursor) return;
    const page = reader.allPage(this.cursor, this.filter, pageSize, upTo);
    this.buffer = page;
    this.cursor = page.length === pageSize ? page[page.length - 1]!.position + 1n : upTo + 1n;
  }

  private async next(): Promise<IteratorResult<RecordedEvent>> {
    while (!this.closed) {
      const event = this.buffer.shift();
      if (event) return { done: false, value: event };
      this.fill();
      if (this.buffer.length > 0) continue;
      await new Promise<void>((resolve) => {
        this.waiting = { resolve, timer: setTimeout(() => this.wake(), this.source.pollMs) };
      });
    }
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }
}
