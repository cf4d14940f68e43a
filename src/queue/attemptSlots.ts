/**
 * The delivery-attempt slots as data: which message holds a slot and which wait for one, in
 * arrival order. A message holds at most one slot and waits in at most one place, so a second
 * request for it (a retry timer firing while it waits) changes nothing. The only owner of the
 * concurrency limit; the attempt code asks it, never keeps a copy.
 */

export class AttemptSlots {
  private readonly holders = new Set<string>();
  /** Waiting messages, in arrival order, each with what to run once granted. */
  private readonly waiting = new Map<string, () => void>();

  private readonly releaseListeners: (() => void)[] = [];

  constructor(readonly size: number) {}

  /** How many messages wait for a slot. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Call `fn` after every release (the queue wakes resting messages as the line shortens). */
  onRelease(fn: () => void): void {
    this.releaseListeners.push(fn);
  }

  get inUse(): number {
    return this.holders.size;
  }

  /** The messages waiting for a slot, first in line first. */
  get waitingIds(): string[] {
    return [...this.waiting.keys()];
  }

  /** Does `id` hold a slot (its attempt is under way)? */
  holds(id: string): boolean {
    return this.holders.has(id);
  }

  /** Does `id` hold a slot or wait for one? */
  has(id: string): boolean {
    return this.holders.has(id) || this.waiting.has(id);
  }

  /** Take a slot for `id` now; false when none is free or `id` already has a claim. */
  tryTake(id: string): boolean {
    if (this.has(id) || this.holders.size >= this.size) return false;
    this.holders.add(id);
    return true;
  }

  /**
   * Ask for a slot for `id`: `granted` runs (synchronously if one is free) once `id` holds it.
   * Does nothing when `id` already holds or waits for one.
   */
  request(id: string, granted: () => void): void {
    if (this.has(id)) return;
    if (this.holders.size < this.size) {
      this.holders.add(id);
      granted();
    } else {
      this.waiting.set(id, granted);
    }
  }

  /** Withdraw `id`'s place in the line (a message that no longer wants an attempt). */
  withdraw(id: string): void {
    this.waiting.delete(id);
  }

  /** `id` gives its slot back; the first waiter gets it. */
  release(id: string): void {
    if (!this.holders.delete(id)) return;
    const next = this.waiting.entries().next();
    if (!next.done) {
      const [nextId, granted] = next.value;
      this.waiting.delete(nextId);
      this.holders.add(nextId);
      granted();
    }
    for (const fn of this.releaseListeners) fn();
  }
}
