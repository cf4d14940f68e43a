/**
 * The queue's read model of one message (what `mailtrail queue` lists and what start-up
 * needs to find live messages), folded from its events without the machine: the state comes
 * from each event's metadata, the rest from payloads. Pure; kept by the sqlite log as an
 * inline projection (messagesProjection.ts) and rebuilt by scanning for other logs.
 */
import { OPERATOR_BOUNCE_STATUS, operatorBounceReply } from '../../machines/message.context.js';
import type { RecordedEvent } from '../eventlog/eventLog.js';

export interface RecipientSummary {
  readonly address: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly dsn?: string;
  readonly reply?: string;
}

export interface MessageSummary {
  readonly id: string;
  readonly state: string;
  readonly sender: string;
  readonly recipients: readonly RecipientSummary[];
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly receivedAt: string;
  readonly updatedAt: string;
  readonly finalAt: string | null;
  readonly size: number;
  readonly bodyRef: string;
  readonly parentId: string | null;
  readonly origin: string;
  readonly sessionId: string | null;
  readonly lastReason: string | null;
  readonly revision: bigint;
  /** The last AttemptClaimed (shared logs): it holds while the state is relay-attempted. */
  readonly claim?: { readonly node: string; readonly leaseUntil: string };
}

export const FINAL_STATES: readonly string[] = ['delivered', 'bounced', 'split', 'deleted'];
export const isFinalState = (state: string): boolean => FINAL_STATES.includes(state);

type Data = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function setRecipient(s: MessageSummary, address: string, status: RecipientSummary['status'], d: Data): readonly RecipientSummary[] {
  return s.recipients.map((r) => (r.address === address ? { address, status, dsn: str(d.status), reply: str(d.reply) } : r));
}

function failPending(s: MessageSummary, dsn: string, reason: string): readonly RecipientSummary[] {
  return s.recipients.map((r) => (r.status === 'pending' ? { ...r, status: 'failed' as const, dsn: r.dsn ?? dsn, reply: r.reply ? `${reason}: ${r.reply}` : reason } : r));
}

function bouncePending(s: MessageSummary, reason: string): readonly RecipientSummary[] {
  return s.recipients.map((r) => (r.status === 'pending' ? { ...r, status: 'failed' as const, dsn: OPERATOR_BOUNCE_STATUS, reply: operatorBounceReply(reason, r) } : r));
}

const schemaOfRecorded = (e: RecordedEvent): number => (typeof e.metadata.schema === 'number' ? e.metadata.schema : 1);

/** Fold one event into the summary (undefined before MessageReceived). */
export function foldMessageSummary(s: MessageSummary | undefined, e: RecordedEvent): MessageSummary | undefined {
  const d = e.data as Data;
  const at = str(d.at) || e.recordedAt;
  if (e.type === 'MessageReceived') {
    return {
      id: str(d.messageId),
      state: str(e.metadata.state) || 'received',
      sender: str(d.sender),
      recipients: ((d.recipients as string[]) ?? []).map((address) => ({ address, status: 'pending' as const })),
      attempts: 0,
      nextAttemptAt: null,
      receivedAt: at,
      updatedAt: at,
      finalAt: null,
      size: typeof d.size === 'number' ? d.size : 0,
      bodyRef: str(d.bodyRef),
      parentId: typeof d.parentId === 'string' ? d.parentId : null,
      origin: str(d.origin) || 'smtp',
      sessionId: typeof d.sessionId === 'string' ? d.sessionId : null,
      lastReason: null,
      revision: e.revision,
    };
  }
  if (!s) return undefined;
  const state = str(e.metadata.state) || s.state;
  let next: MessageSummary = { ...s, state, updatedAt: at, revision: e.revision, finalAt: isFinalState(state) ? at : null };
  switch (e.type) {
    case 'PoliciesApplied':
      // The policies' list replaces the pending recipients; settled ones (a requeued message) stay.
      if (Array.isArray(d.recipients)) next = { ...next, recipients: [...s.recipients.filter((r) => r.status !== 'pending'), ...(d.recipients as string[]).map((address) => ({ address, status: 'pending' as const }))] };
      break;
    case 'PoliciesDeferred':
      next = { ...next, nextAttemptAt: str(d.nextAttemptAt), lastReason: str(d.reason) };
      break;
    case 'RelayAttempted':
      next = { ...next, attempts: typeof d.attempt === 'number' ? d.attempt : s.attempts + 1, nextAttemptAt: null };
      break;
    case 'DeliverySucceeded':
      next = { ...next, recipients: setRecipient(s, str(d.recipient), 'delivered', d) };
      break;
    case 'DeliveryDeferred':
      next = { ...next, recipients: setRecipient(s, str(d.recipient), 'pending', d), nextAttemptAt: str(d.nextAttemptAt), lastReason: str(d.reply) };
      break;
    case 'DeliveryFailed':
      next = { ...next, recipients: setRecipient(s, str(d.recipient), 'failed', d), lastReason: str(d.reply) };
      break;
    case 'PoliciesFailed':
      next = { ...next, recipients: s.recipients.map((r) => (r.status === 'pending' ? { ...r, status: 'failed' as const, dsn: str(d.status), reply: str(d.reason) } : r)), lastReason: str(d.reason) };
      break;
    case 'MessageExpired':
      next = { ...next, recipients: failPending(s, '4.4.7', str(d.reason)), lastReason: str(d.reason) };
      break;
    case 'MessageBounced':
      // Schema 1 kept the last status; since schema 2 an operator bounce is 5.0.0 (message.context.ts).
      next = { ...next, recipients: schemaOfRecorded(e) < 2 ? failPending(s, OPERATOR_BOUNCE_STATUS, str(d.reason)) : bouncePending(s, str(d.reason)), lastReason: str(d.reason) };
      break;
    case 'AttemptClaimed':
      next = { ...next, claim: { node: str(d.node), leaseUntil: str(d.leaseUntil) } };
      break;
    case 'RetryRequested':
    case 'MessageReleased':
    case 'MessageRequeued':
      next = { ...next, nextAttemptAt: at };
      break;
  }
  return next;
}
