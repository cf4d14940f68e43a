/**
 * A progress line for long replays and rebuilds: on a terminal (`isTTY`) it rewrites one line
 * with `\r` (count, total, percentage, rate), at most every 100 ms, and clears it at the end;
 * elsewhere (a pipe, a log file) it writes nothing, so the caller's final line is all there is.
 * Time comes from `now` so tests can drive it.
 */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressLine {
  update(done: number, total: number): void;
  /** Clears the line (on a terminal) and returns the elapsed milliseconds. */
  finish(): number;
}

const INTERVAL_MS = 100;

export const formatRate = (count: number, ms: number): string => `${Math.round(count / Math.max(ms / 1000, 0.001))}/s`;

export function progressLine(
  out: ProgressOutput,
  label: string,
  now: () => number = () => performance.now(),
): ProgressLine {
  const started = now();
  let shown = -Infinity;
  let drawn = false;
  return {
    update(done, total) {
      if (!out.isTTY) return;
      const t = now();
      if (t - shown < INTERVAL_MS && done < total) return;
      shown = t;
      drawn = true;
      const pct = total > 0 ? ` (${Math.floor((done / total) * 100)}%)` : '';
      out.write(`\r${label} ${done}/${total} events${pct}, ${formatRate(done, t - started)}\x1b[K`);
    },
    finish() {
      if (drawn) out.write('\r\x1b[K');
      return now() - started;
    },
  };
}
