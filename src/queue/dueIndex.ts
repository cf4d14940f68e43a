/**
 * The due-time index of messages resting in the queue without an actor (deferred ones recovered
 * at start, or waiting after PoliciesDeferred): a binary min-heap of (due time, id) with one
 * timer armed for the earliest, so 100,000 waiting messages cost a few megabytes and one timer
 * instead of 100,000 actors and timers. When entries fall due they are handed out a few at a
 * time (`take(n)`), as the queue has room to wake them. Removing or re-adding an id leaves its
 * old heap entry behind, skipped when it surfaces (lazy deletion).
 */
export interface DueTimer {
  /** Milliseconds since the epoch, from the queue's clock. */
  now(): number;
  /** Run `fn` at `at` (the queue's clock); returns a cancel function. */
  at(at: number, fn: () => void): () => void;
}

interface Entry {
  due: number;
  id: string;
}

export class DueIndex {
  private readonly heap: Entry[] = [];
  private readonly dues = new Map<string, { due: number; state: string }>();
  private cancel: (() => void) | undefined;
  private armedFor = Infinity;

  /** `onDue` runs (once per timer) when entries fall due: it calls take(), now or when it has room. */
  constructor(
    private readonly timer: DueTimer,
    private readonly onDue: () => void,
  ) {}

  get size(): number {
    return this.dues.size;
  }

  has(id: string): boolean {
    return this.dues.has(id);
  }

  /** The state the message rests in (what the log's projection said when it was indexed). */
  stateOf(id: string): string | undefined {
    return this.dues.get(id)?.state;
  }

  ids(): IterableIterator<string> {
    return this.dues.keys();
  }

  add(id: string, due: number, state: string): void {
    this.dues.set(id, { due, state });
    this.push({ due, id });
    if (due < this.armedFor) this.arm();
  }

  /** Forget `id` (it is being woken by other means: an operator, a new event). */
  remove(id: string): boolean {
    return this.dues.delete(id);
  }

  /** Up to `max` ids whose time has come, earliest first; they leave the index. */
  take(max: number): string[] {
    const now = this.timer.now();
    const out: string[] = [];
    while (out.length < max && this.heap.length > 0 && this.heap[0]!.due <= now) {
      const { id, due } = this.pop()!;
      const current = this.dues.get(id);
      if (!current || current.due !== due) continue; // removed, or re-added with another time
      this.dues.delete(id);
      out.push(id);
    }
    this.arm();
    return out;
  }

  /** Is anything due now? */
  hasDue(): boolean {
    this.dropStale();
    return this.heap.length > 0 && this.heap[0]!.due <= this.timer.now();
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.armedFor = Infinity;
  }

  /**
   * One timer, for the earliest entry once it lies in the future. While entries are due already
   * none is armed: the owner takes them as it has room (its take() re-arms when they are gone),
   * so a queue short of room is not woken again and again for entries it cannot take yet.
   */
  private arm(): void {
    this.dropStale();
    let next = this.heap[0]?.due ?? Infinity;
    if (next <= this.timer.now()) next = Infinity;
    if (next === this.armedFor && this.cancel) return;
    this.cancel?.();
    this.cancel = undefined;
    this.armedFor = next;
    if (next === Infinity) return;
    this.cancel = this.timer.at(next, () => {
      this.cancel = undefined;
      this.armedFor = Infinity;
      this.onDue();
      if (!this.cancel) this.arm();
    });
  }

  private dropStale(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.dues.get(top.id)?.due === top.due) return;
      this.pop();
    }
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.due <= entry.due) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || !last) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = -1;
      let best = last.due;
      if (l < h.length && h[l]!.due < best) {
        m = l;
        best = h[l]!.due;
      }
      if (r < h.length && h[r]!.due < best) m = r;
      if (m < 0) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
    return top;
  }
}
