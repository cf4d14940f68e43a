/**
 * The prequeue policy port (python-slimta's queue policies): a policy runs once, before
 * the message is queued, reads the context and returns an effect; the effects are stored
 * with the message, so a replay reuses them instead of running the policy again.
 * Policies are pure apart from readHeaders()/openMessage() and the spamd call, whose
 * verdict is stored: time and names arrive in the context.
 * prependHeaders lines carry no trailing CRLF; a long one may be folded with CRLF + TAB,
 * which a writer producing LF content must turn into LF + TAB.
 */
import type { QueuedMessage } from '../mail/envelope.js';

export interface PolicyContext {
  message: QueuedMessage;
  hostname: string;
  now: Date;
  /** The original header block, unfolded lines as received. */
  readHeaders(): Promise<string>;
  /** The whole message as received (CRLF), each call a fresh stream; policies that scan the body need it. */
  openMessage?(): NodeJS.ReadableStream;
}
export interface PolicyEffect {
  /** Full header lines without CRLF, in order. */
  prependHeaders?: string[];
  /** What the policy decided, stored with the message (PoliciesApplied.verdicts). */
  verdicts?: Record<string, unknown>;
  /** The envelope's recipients after rewriting (Forward): PoliciesApplied.recipients. */
  recipients?: string[];
  /** Split the envelope: one child message per group (MessageSplit); only with two or more groups. */
  split?: { recipients: string[] }[];
}
export interface PrequeuePolicy {
  readonly name: string;
  apply(ctx: PolicyContext): Promise<PolicyEffect>;
}

/**
 * A relay policy (slimta's RelayPolicy): the same shape, run before each delivery attempt;
 * only its `prependHeaders` count, for that attempt's copy, and nothing is recorded.
 */
export type RelayPolicy = PrequeuePolicy;
