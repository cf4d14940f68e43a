/**
 * A counting semaphore: the queue's limit on delivery attempts in flight. Waiters are served
 * in arrival order.
 */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly size: number) {
    this.available = size;
  }

  get inUse(): number {
    return this.size - this.available;
  }

  /** A slot now, or undefined when none is free (never waits). */
  tryAcquire(): (() => void) | undefined {
    if (this.available === 0) return undefined;
    this.available -= 1;
    return this.releaser();
  }

  async acquire(): Promise<() => void> {
    if (this.available > 0) {
      this.available -= 1;
    } else {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.available += 1;
    };
  }
}
