/**
 * Retry timing as Postfix's qmgr computes it (minimal_backoff_time, maximal_backoff_time,
 * maximal_queue_lifetime): after an attempt fails for now, the next one waits as long as the
 * message has been in the queue, but at least minBackoff and at most maxBackoff. The delay so
 * doubles from one scheduled attempt to the next, whatever the step that failed (delivery or
 * the prequeue policies), and a manual retry counts for nothing: the schedule depends on the
 * message's age alone, never on how many attempts were made. Pure.
 */
export interface RetryPolicy {
  readonly minBackoff: number;
  readonly maxBackoff: number;
  readonly maxLifetime: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  minBackoff: 5 * 60_000,
  maxBackoff: 60 * 60_000,
  maxLifetime: 5 * 86_400_000,
};

/** Milliseconds to wait, at `now`, after an attempt at a message received at `receivedAt` failed for now. */
export function retryDelay(policy: RetryPolicy, receivedAt: string, now: number): number {
  const age = now - Date.parse(receivedAt);
  return Math.min(policy.maxBackoff, Math.max(policy.minBackoff, Number.isFinite(age) ? age : 0));
}

/**
 * The delay after the given scheduled attempt (1 = the first) when attempts run exactly on
 * schedule: minBackoff, then doubling up to maxBackoff. For documentation and callers that
 * count attempts; the queue itself uses retryDelay (the message's age).
 */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 40);
  return Math.min(policy.maxBackoff, policy.minBackoff * 2 ** exp);
}

/** Has a message received at `receivedAt` outlived maxLifetime at `now`? */
export function isExpired(policy: RetryPolicy, receivedAt: string, now: number): boolean {
  return now >= Date.parse(receivedAt) + policy.maxLifetime;
}
