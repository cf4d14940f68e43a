/**
 * FakeScheduler: a fake of the queue's Scheduler port (src/queue/scheduler.ts) for tests. Its
 * clock moves only when the test calls `advance(ms)`, which runs the timers that fall due, in
 * order of due time. Like real timers, `at()` for a time already reached runs on a later turn
 * of the event loop without any `advance`.
 */
import type { Scheduler } from '../../src/queue/scheduler.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private readonly timers = new Set<Timer>();

  constructor(start: number = Date.now()) {
    this.time = start;
  }

  now = (): number => this.time;

  at = (ms: number, fn: () => void): (() => void) => {
    const timer: Timer = { at: ms, seq: this.seq++, fn };
    this.timers.add(timer);
    if (ms <= this.time)
      setImmediate(() => {
        if (this.timers.delete(timer)) fn();
      });
    return () => {
      this.timers.delete(timer);
    };
  };

  /** Timers armed and not yet run or cancelled. */
  get pending(): number {
    return this.timers.size;
  }

  /** The earliest due time armed, or undefined. */
  get nextDue(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers) if (next === undefined || t.at < next) next = t.at;
    return next;
  }

  /** Move the clock `ms` forward and run every timer due by then, earliest first. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.delete(due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = until;
  }
}
