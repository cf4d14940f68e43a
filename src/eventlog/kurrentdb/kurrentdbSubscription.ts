/**
 * The port's Subscription over KurrentDB: catch-up, then live, with the port's inclusive
 * fromPosition. subscribeToAll's fromPosition is exclusive ("first event after"), so from
 * a position p > 0 we catch up with readAll (inclusive) from p, then subscribe from the
 * last position already covered — the later of the last record read and the log's end
 * taken before the read — so nothing is missed or repeated. START and 'end' go straight
 * to subscribeToAll. Events are filtered in process too (filterMapping) and must be
 * strictly after the last one delivered. close() unsubscribes and ends the iteration.
 */
import {
  BACKWARDS,
  END,
  START,
  type AllStreamSubscription,
  type KurrentDBClient,
  type Position,
  type ReadPosition,
} from '@kurrent/kurrentdb-client';
import type { EventFilter, RecordedEvent, SubscribeOptions, Subscription } from '../eventLog.js';
import { EventQueue } from './eventQueue.js';
import { toRecordedEvent, type ClientResolvedEvent } from './eventMapping.js';
import { passesClientFilter, toServerFilter } from './filterMapping.js';
import { laterPosition, positionOf, toReadPosition } from './positionMapping.js';

/** What a subscription needs from the client (a fake in unit tests). */
export type SubscriptionClient = Pick<KurrentDBClient, 'readAll' | 'subscribeToAll'>;

export class KurrentdbSubscription implements Subscription {
  readonly #client: SubscriptionClient;
  readonly #filter: EventFilter | undefined;
  readonly #from: bigint | 'end' | undefined;
  readonly #queue: EventQueue<RecordedEvent>;
  readonly #onClose: (subscription: KurrentdbSubscription) => void;
  #live: AllStreamSubscription | undefined;
  #lastDelivered: bigint | undefined;
  #closed = false;

  constructor(
    client: SubscriptionClient,
    options: SubscribeOptions = {},
    onClose: (s: KurrentdbSubscription) => void = () => {},
  ) {
    this.#client = client;
    this.#filter = options.filter;
    this.#from = options.fromPosition;
    this.#onClose = onClose;
    this.#queue = new EventQueue<RecordedEvent>({
      onPressure: (paused) => (paused ? this.#live?.pause() : this.#live?.resume()),
      onReturn: () => this.close(),
    });
    // Start now, not on first next(): events appended after subscribe() returns must be seen.
    this.#run().catch((error: unknown) => {
      if (!this.#closed) this.#queue.fail(error);
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return this.#queue;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.close();
    this.#onClose(this);
    const live = this.#live;
    this.#live = undefined;
    if (live) {
      live.removeAllListeners('data');
      await live.unsubscribe().catch(() => {});
      live.destroy();
    }
  }

  async #run(): Promise<void> {
    const from = this.#from;
    if (from === 'end') return this.#goLive(END, 0n);
    if (from === undefined || from <= 0n) return this.#goLive(START, 0n);
    const checkpoint = await this.#catchUp(from);
    if (!this.#closed) this.#goLive(checkpoint ?? START, from);
  }

  /** Reads [from, end-of-log] with readAll; returns the last position it covered. */
  async #catchUp(from: bigint): Promise<Position | undefined> {
    let covered = await this.#lastPositionInLog();
    const reading = this.#client.readAll({ fromPosition: toReadPosition(from), filter: toServerFilter(this.#filter) });
    for await (const resolved of reading) {
      if (this.#closed) return undefined;
      covered = laterPosition(covered, positionOf(resolved));
      const event = this.#accept(resolved, from);
      if (!event) continue;
      await this.#queue.waitForRoom();
      this.#deliver(event);
    }
    return covered;
  }

  async #lastPositionInLog(): Promise<Position | undefined> {
    for await (const resolved of this.#client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
      return positionOf(resolved);
    }
    return undefined;
  }

  /** Exclusive from `checkpoint`; events before `lowest` (only possible from START) are dropped. */
  #goLive(checkpoint: ReadPosition, lowest: bigint): void {
    const live = this.#client.subscribeToAll({ fromPosition: checkpoint, filter: toServerFilter(this.#filter) });
    this.#live = live;
    live.on('data', (resolved: ClientResolvedEvent) => {
      try {
        const event = this.#accept(resolved, lowest);
        if (event) this.#deliver(event);
      } catch (error) {
        this.#queue.fail(error);
        void this.close();
      }
    });
    live.on('error', (error: Error) => this.#queue.fail(error));
    live.on('end', () => this.#queue.end());
  }

  #accept(resolved: ClientResolvedEvent, lowest: bigint): RecordedEvent | undefined {
    if (!resolved.event || !passesClientFilter(resolved.event, this.#filter)) return undefined;
    const event = toRecordedEvent(resolved);
    if (!event || event.position < lowest) return undefined;
    if (this.#lastDelivered !== undefined && event.position <= this.#lastDelivered) return undefined;
    return event;
  }

  #deliver(event: RecordedEvent): void {
    this.#lastDelivered = event.position;
    this.#queue.push(event);
  }
}
