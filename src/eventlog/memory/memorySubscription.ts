/**
 * MemorySubscription: catch-up then live over a MemoryStorage, for MemoryEventLog.
 * It keeps a position cursor and, when it has delivered everything stored, waits for
 * wake() (called after each append) — so catch-up and live are one loop and can neither
 * skip nor repeat an event. close() ends any pending or later next() with done.
 */
import { matchesFilter, type EventFilter, type RecordedEvent, type Subscription } from '../eventLog.js';
import { lowerBound, type MemoryStorage } from './memoryStorage.js';

export class MemorySubscription implements Subscription {
  private cursor: bigint;
  private closed = false;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly storage: MemoryStorage,
    fromPosition: bigint,
    private readonly filter: EventFilter | undefined,
    private readonly onClose: () => void,
  ) {
    this.cursor = fromPosition;
  }

  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.wake();
  }

  private async next(): Promise<IteratorResult<RecordedEvent>> {
    const events = this.storage.events;
    while (!this.closed) {
      for (let i = lowerBound(events, this.cursor); i < events.length; i++) {
        const event = events[i]!;
        this.cursor = event.position + 1n;
        if (matchesFilter(event, this.filter)) return { done: false, value: structuredClone(event) };
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
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
