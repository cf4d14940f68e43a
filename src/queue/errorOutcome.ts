/**
 * What a thrown error means for a message, decided on its class (STYLE.md "Conventions" 5),
 * never on its text: a PermanentError fails for good with its 5.x.x status, a TransientError
 * defers with its 4.x.x status, anything else defers with 4.0.0 and is `unexpected` (the
 * caller logs it as a bug). A status of the wrong class for the error (a PermanentError
 * carrying 4.2.0) falls back to the class's x.0.0, so the first digit always agrees.
 */
import { PermanentError, TransientError } from '../errors/mailtrailError.js';
import { isEnhancedStatus } from '../mail/enhancedStatus.js';

export interface ErrorOutcome {
  readonly outcome: 'permanent' | 'transient';
  readonly status: string;
  /** The error's message, on one line. */
  readonly reason: string;
  /** Neither a PermanentError nor a TransientError: a bug or an unforeseen failure. */
  readonly unexpected: boolean;
}

const statusOf = (err: { enhancedStatus?: string | undefined }, cls: '4' | '5'): string =>
  err.enhancedStatus !== undefined && isEnhancedStatus(err.enhancedStatus) && err.enhancedStatus[0] === cls
    ? err.enhancedStatus
    : `${cls}.0.0`;

export function errorOutcome(err: unknown): ErrorOutcome {
  const reason = (err instanceof Error ? err.message : String(err)).replace(/\s*[\r\n]+\s*/g, ' ');
  if (err instanceof PermanentError)
    return { outcome: 'permanent', status: statusOf(err, '5'), reason, unexpected: false };
  if (err instanceof TransientError)
    return { outcome: 'transient', status: statusOf(err, '4'), reason, unexpected: false };
  return { outcome: 'transient', status: '4.0.0', reason, unexpected: true };
}
