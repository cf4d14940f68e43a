/**
 * A bounded hand-off between a producer (a $all read or a live subscription) and one
 * async-iterating consumer. push() buffers; when the buffer reaches the high-water mark
 * `onPressure(true)` asks the producer to pause, and `onPressure(false)` resumes it once
 * drained. end() lets the consumer finish the buffer; fail() delivers an error after it;
 * close() drops the buffer and settles a pending next() with done at once.
 */

export interface EventQueueHooks {
  highWaterMark?: number;
  onPressure?(paused: boolean): void;
  /** Called when the consumer stops early (break / return()). */
  onReturn?(): Promise<void>;
}

type Waiter<T> = { resolve(result: IteratorResult<T>): void; reject(error: unknown): void };

export class EventQueue<T> implements AsyncIterableIterator<T> {
  readonly #buffer: T[] = [];
  readonly #waiters: Waiter<T>[] = [];
  readonly #roomWaiters: (() => void)[] = [];
  readonly #highWaterMark: number;
  readonly #hooks: EventQueueHooks;
  #ended = false;
  #paused = false;
  #error: { value: unknown } | undefined;

  constructor(hooks: EventQueueHooks = {}) {
    this.#hooks = hooks;
    this.#highWaterMark = hooks.highWaterMark ?? 256;
  }

  get ended(): boolean {
    return this.#ended;
  }

  push(item: T): void {
    if (this.#ended) return;
    const waiter = this.#waiters.shift();
    if (waiter) return waiter.resolve({ value: item, done: false });
    this.#buffer.push(item);
    if (!this.#paused && this.#buffer.length >= this.#highWaterMark) {
      this.#paused = true;
      this.#hooks.onPressure?.(true);
    }
  }

  /** Resolves when the buffer has room (or the queue has ended): producers that can wait use it. */
  waitForRoom(): Promise<void> {
    if (this.#ended || this.#buffer.length < this.#highWaterMark) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** No more items: the consumer drains the buffer, then is done. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#settleWaiters();
  }

  /** The producer failed: the consumer drains the buffer, then gets the error once. */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#error = { value: error };
    this.end();
  }

  /** Stop now: drop the buffer and finish every pending next(). */
  close(): void {
    this.#buffer.length = 0;
    this.#error = undefined;
    this.end();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift() as T;
      this.#drained();
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return this.#finish();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  async return(): Promise<IteratorResult<T>> {
    this.close();
    await this.#hooks.onReturn?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  #drained(): void {
    if (this.#buffer.length >= this.#highWaterMark) return;
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
    if (this.#paused && this.#buffer.length <= this.#highWaterMark / 2) {
      this.#paused = false;
      this.#hooks.onPressure?.(false);
    }
  }

  #finish(): Promise<IteratorResult<T>> {
    const error = this.#error;
    this.#error = undefined;
    return error ? Promise.reject(error.value) : Promise.resolve({ value: undefined, done: true });
  }

  #settleWaiters(): void {
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
    // Waiters exist only while the buffer is empty, so they get the error or done now.
    for (const waiter of this.#waiters.splice(0)) {
      const error = this.#error;
      this.#error = undefined;
      if (error) waiter.reject(error.value);
      else waiter.resolve({ value: undefined, done: true });
    }
  }
}
