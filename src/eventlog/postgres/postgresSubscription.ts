/**
 * PostgresSubscription: catch-up then live over mailtrail_events by a position cursor that
 * never passes the final bound (positions below it can no longer appear), so an event whose
 * transaction commits late is still delivered, in order, and none twice. From 'end' it starts
 * at the bound of subscribe()'s moment and leaves out what had already committed then.
 * Waits for wake() (this process committed), a NOTIFY from another node, or pollMs. While
 * the server is unreachable it keeps retrying; another read error rejects next().
 */
import type { EventFilter, RecordedEvent, Subscription } from '../eventLog.js';
import { isUnavailable } from './postgresErrors.js';
import type { EndSnapshot, PostgresReader } from './postgresReader.js';

export interface PostgresSubscriptionSource {
  readonly reader: PostgresReader;
  readonly ready: () => Promise<void>;
  readonly pageSize: number;
  readonly pollMs: number;
  readonly detach: () => void;
}

export class PostgresSubscription implements Subscription {
  private cursor: bigint | undefined;
  private end: EndSnapshot | undefined;
  private readonly start: Promise<void>;
  /** Settles once the starting point is known (for 'end': the snapshot was taken). */
  readonly started: Promise<unknown>;
  private buffer: RecordedEvent[] = [];
  private closed = false;
  private waiting: { resolve: () => void; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly source: PostgresSubscriptionSource,
    from: bigint | 'end',
    private readonly filter: EventFilter | undefined,
  ) {
    if (from === 'end') {
      // Taken now, not at the first next(): "afterwards" means after subscribe().
      this.start = source
        .ready()
        .then(() => source.reader.endSnapshot())
        .then((end) => {
          this.end = end;
          this.cursor = end.from;
        });
      this.started = this.start.catch(() => undefined);
    } else {
      this.cursor = from;
      this.start = Promise.resolve();
      this.started = this.start;
    }
  }

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

  private async fill(): Promise<void> {
    const { reader, pageSize } = this.source;
    await this.source.ready();
    const from = this.cursor!;
    const bound = await reader.finalBound();
    if (bound <= from) return;
    const page = await reader.allPage(from, bound, this.filter, pageSize, this.end);
    if (this.closed) return;
    this.buffer = page;
    this.cursor = page.length === pageSize ? page[page.length - 1]!.position + 1n : bound;
    if (this.end && this.cursor >= this.end.until) this.end = undefined;
  }

  private async next(): Promise<IteratorResult<RecordedEvent>> {
    await this.start;
    while (!this.closed) {
      const event = this.buffer.shift();
      if (event) return { done: false, value: event };
      try {
        await this.fill();
      } catch (error) {
        if (!isUnavailable(error)) throw error;
      }
      if (this.buffer.length > 0 || this.closed) continue;
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
