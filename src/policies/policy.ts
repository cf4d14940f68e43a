/**
 * The prequeue policy port (python-slimta's queue policies): a policy runs once, before
 * the message is queued, reads the context and returns an effect; the effects are stored
 * with the message, so a replay reuses them instead of running the policy again.
 * Policies are pure apart from readHeaders(): time and names arrive in the context.
 * prependHeaders lines carry no trailing CRLF; a long one may be folded with CRLF + TAB,
 * which a writer producing LF content must turn into LF + TAB.
 */
import type { QueuedMessage } from '../queue/envelope.js';

export interface PolicyContext { message: QueuedMessage; hostname: string; now: Date; readHeaders(): Promise<string> /* the original header block, unfolded lines as received */ }
export interface PolicyEffect { prependHeaders?: string[] /* full header lines without CRLF, in order */; verdicts?: Record<string, unknown> }
export interface PrequeuePolicy { readonly name: string; apply(ctx: PolicyContext): Promise<PolicyEffect> }
