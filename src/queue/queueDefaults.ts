/**
 * The queue's defaults, in one place: Queue falls back on them and the configuration schema
 * (`queue.concurrency`, `queue.retry.*`, `queue.claimLease`) takes them from here. Data only.
 */
import { defaultRetryPolicy } from './backoff.js';

export const QUEUE_DEFAULTS = {
  /** Delivery attempts running at once (Postfix's default_process_limit-like). */
  concurrency: 20,
  retry: defaultRetryPolicy,
  /** How long an AttemptClaimed holds on a shared log (ms): a few minutes, well above relay timeouts. */
  claimLease: 3 * 60_000,
} as const;
