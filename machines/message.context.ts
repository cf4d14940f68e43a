/**
 * The message machine's context and the pure functions that update its recipient table.
 * A recipient is `pending` until an outcome crosses it off: `delivered` or `failed` (with
 * the status and reply a DSN needs). `inFlight` marks the recipients of the current attempt
 * that have no outcome yet. No clock, no I/O: everything arrives in the events.
 */
import type { ClientInfo, MessageReceived } from './message.events.js';

export type RecipientStatus = 'pending' | 'delivered' | 'failed';

export interface RecipientState {
  readonly address: string;
  readonly status: RecipientStatus;
  readonly inFlight: boolean;
  /** Last RFC 3463 status seen for this recipient. */
  readonly dsn?: string;
  /** Last reply text seen for this recipient. */
  readonly reply?: string;
  readonly relay?: string;
  readonly at?: string;
}

export interface MessageContext {
  readonly messageId: string;
  readonly sender: string;
  readonly bodyRef: string;
  readonly size: number;
  readonly sha256: string;
  readonly receivedAt: string;
  readonly sessionId?: string;
  readonly client?: ClientInfo;
  readonly smtputf8: boolean;
  readonly parentId?: string;
  readonly origin: NonNullable<MessageReceived['origin']>;
  readonly recipients: readonly RecipientState[];
  readonly headers: readonly string[];
  readonly verdicts: Readonly<Record<string, unknown>>;
  readonly policiesApplied: boolean;
  /** Index of the first prequeue policy to run (split children skip the ones their parent ran). */
  readonly policiesFrom: number;
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastReason?: string;
  readonly children?: readonly string[];
  /** The node that claimed the attempt in flight and until when (shared logs); none between attempts. */
  readonly claim?: { readonly node: string; readonly leaseUntil: string };
}

export const emptyMessageContext: MessageContext = {
  messageId: '',
  sender: '',
  bodyRef: '',
  size: 0,
  sha256: '',
  receivedAt: '',
  smtputf8: false,
  origin: 'smtp',
  recipients: [],
  headers: [],
  verdicts: {},
  policiesApplied: false,
  policiesFrom: 0,
  attempts: 0,
  nextAttemptAt: null,
};

export function contextFromReceived(e: MessageReceived): MessageContext {
  return {
    ...emptyMessageContext,
    messageId: e.messageId,
    sender: e.sender,
    bodyRef: e.bodyRef,
    size: e.size,
    sha256: e.sha256,
    receivedAt: e.at,
    ...(e.sessionId !== undefined ? { sessionId: e.sessionId } : {}),
    ...(e.client !== undefined ? { client: e.client } : {}),
    smtputf8: e.smtputf8 ?? false,
    ...(e.parentId !== undefined ? { parentId: e.parentId } : {}),
    origin: e.origin ?? 'smtp',
    policiesFrom: e.policiesFrom ?? 0,
    recipients: e.recipients.map((address) => ({ address, status: 'pending' as const, inFlight: false })),
  };
}

/**
 * May `node` claim at `at`? When no claim holds (between attempts), when it holds the claim
 * itself (a renewal), or when the holder's lease has run out (it died mid-attempt).
 */
export function claimIsFree(c: MessageContext, node: string, at: string): boolean {
  return !c.claim || c.claim.node === node || Date.parse(at) >= Date.parse(c.claim.leaseUntil);
}

export const pendingRecipients = (c: MessageContext): string[] =>
  c.recipients.filter((r) => r.status === 'pending').map((r) => r.address);

export const isInFlight = (c: MessageContext, address: string): boolean =>
  c.recipients.some((r) => r.address === address && r.inFlight);

export const anyInFlight = (c: MessageContext): boolean => c.recipients.some((r) => r.inFlight);
export const anyPending = (c: MessageContext): boolean => c.recipients.some((r) => r.status === 'pending');
export const anyDelivered = (c: MessageContext): boolean => c.recipients.some((r) => r.status === 'delivered');

/** Mark these recipients as the current attempt's (all must be pending). */
export function startAttempt(c: MessageContext, recipients: readonly string[]): readonly RecipientState[] {
  const set = new Set(recipients);
  return c.recipients.map((r) => ({ ...r, inFlight: set.has(r.address) }));
}

export function allPending(c: MessageContext, recipients: readonly string[]): boolean {
  return (
    recipients.length > 0 &&
    recipients.every((a) => c.recipients.some((r) => r.address === a && r.status === 'pending'))
  );
}

/** Record one recipient's outcome and take it out of flight. */
export function recordOutcome(
  c: MessageContext,
  address: string,
  status: RecipientStatus,
  detail: { dsn: string; reply: string; relay: string; at: string },
): readonly RecipientState[] {
  return c.recipients.map((r) => (r.address === address ? { ...r, ...detail, status, inFlight: false } : r));
}

/**
 * Fail every pending recipient (expiry, operator bounce), keeping its last status and reply
 * where known (Postfix reports an expired recipient with its last 4.x.x status, Action: failed).
 */
export function failPending(c: MessageContext, dsn: string, reason: string, at: string): readonly RecipientState[] {
  return c.recipients.map((r) =>
    r.status === 'pending'
      ? {
          ...r,
          status: 'failed' as const,
          inFlight: false,
          dsn: r.dsn ?? dsn,
          reply: r.reply ? `${reason}: ${r.reply}` : reason,
          at,
        }
      : r,
  );
}

/** Fail every pending recipient for good with this status and reply (a policy's refusal). */
export function refusePending(c: MessageContext, dsn: string, reply: string, at: string): readonly RecipientState[] {
  return c.recipients.map((r) =>
    r.status === 'pending' ? { ...r, status: 'failed' as const, inFlight: false, dsn, reply, at } : r,
  );
}

/**
 * Fail every pending recipient for good (operator bounce): 5.0.0 whatever it last saw; the
 * last reply stays readable in the reason (`bounced by the operator; last attempt: …`).
 */
export function bouncePending(c: MessageContext, reason: string, at: string): readonly RecipientState[] {
  return c.recipients.map((r) =>
    r.status === 'pending'
      ? {
          ...r,
          status: 'failed' as const,
          inFlight: false,
          dsn: OPERATOR_BOUNCE_STATUS,
          reply: operatorBounceReply(reason, r),
          at,
        }
      : r,
  );
}

/** The status every recipient an operator bounces fails with (RFC 3463: other, permanent). */
export const OPERATOR_BOUNCE_STATUS = '5.0.0';

/** `bounced by the operator`, with the recipient's last status and reply when it had one. */
export function operatorBounceReply(
  reason: string,
  last: { readonly dsn?: string | undefined; readonly reply?: string | undefined },
): string {
  const before = [last.dsn, last.reply].filter((x) => x !== undefined && x !== '').join(' ');
  return before === '' ? reason : `${reason}; last attempt: ${before}`;
}

/**
 * Replace the pending recipients with the policies' list (Forward rewrites). Recipients already
 * delivered or failed (a requeued message) keep their outcome; before any attempt all are pending.
 */
export function rewriteRecipients(c: MessageContext, recipients: readonly string[]): readonly RecipientState[] {
  return [
    ...c.recipients.filter((r) => r.status !== 'pending'),
    ...recipients.map((address) => ({ address, status: 'pending' as const, inFlight: false })),
  ];
}

/** What MessageRequeued resets: the policies run again, due now. */
export function requeuedContext(at: string): Partial<MessageContext> {
  return { headers: [], verdicts: {}, policiesApplied: false, nextAttemptAt: at };
}
