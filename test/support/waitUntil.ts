/**
 * Polls `probe` until it returns something truthy and resolves with that value; rejects
 * naming `what` when `timeoutMs` (default 10 s) passes first. The one polling loop the tests
 * share for effects that have no event to wait on (a file in a Maildir, a state in the
 * projection, a log line). The timeout is a safety net, never an assertion about timing.
 */
export interface WaitOptions {
  /** What is awaited, for the error: "bob's Maildir to hold 1 message". */
  readonly what?: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/** What a truthy result of the probe can be. */
export type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>;

export async function waitUntil<T>(probe: () => T | Promise<T>, options: WaitOptions = {}): Promise<Truthy<T>> {
  const { what = 'a condition', timeoutMs = 10_000, intervalMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as Truthy<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? `: last error: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
