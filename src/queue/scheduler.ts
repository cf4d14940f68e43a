/**
 * The queue's clock and timers as one injected port: `now()` reads the time, `at(ms, fn)` runs
 * `fn` once the clock reaches `ms` (epoch milliseconds) and returns a function that cancels it.
 * The default runs on real timers and the given clock; tests pass a fake one they advance
 * (test/support/fakeScheduler.ts), so retries and expiry never wait on real time.
 */

export interface Scheduler {
  now(): number;
  /** Run `fn` when the clock reaches `ms` (at once, on a later turn, if it already has); returns a cancel. */
  at(ms: number, fn: () => void): () => void;
}

/** setTimeout's longest delay; a later due time is reached in several steps. */
const MAX_DELAY = 2 ** 31 - 1;

/** Real timers against `now` (default Date.now): a due time is re-checked on the clock when a timer fires. */
export function realScheduler(now: () => number = Date.now): Scheduler {
  return {
    now,
    at(ms, fn) {
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        const wait = ms - now();
        timer = setTimeout(wait > MAX_DELAY ? arm : fn, Math.max(0, Math.min(wait, MAX_DELAY)));
      };
      arm();
      return () => clearTimeout(timer);
    },
  };
}
