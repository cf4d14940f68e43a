/**
 * Retry timing as Postfix's minimal_backoff_time / maximal_backoff_time: the delay doubles
 * with each attempt from minBackoff up to maxBackoff. A pure function of the attempt count,
 * as slimta's backoff (envelope, attempts) → seconds.
 */
export interface RetryPolicy {
  readonly minBackoff: number;
  readonly maxBackoff: number;
  readonly maxLifetime: number;
}

export const defaultRetryPolicy: RetryPolicy = { minBackoff: 5 * 60_000, maxBackoff: 60 * 60_000, maxLifetime: 5 * 86_400_000 };

/** Milliseconds to wait after the given attempt (1 = the first) failed for now. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 40);
  return Math.min(policy.maxBackoff, policy.minBackoff * 2 ** exp);
}

/** Has a message received at `receivedAt` outlived maxLifetime at `now`? */
export function isExpired(policy: RetryPolicy, receivedAt: string, now: number): boolean {
  return now >= Date.parse(receivedAt) + policy.maxLifetime;
}
