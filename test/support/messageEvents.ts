/** Builders of message events for tests: valid defaults, fixed clock values, overridable fields. */
import type { MessageEvent } from '../../machines/message.events.js';

type Of<T extends MessageEvent['type']> = Omit<Extract<MessageEvent, { type: T }>, 'type'>;
const at = (minute: number): string => new Date(Date.UTC(2026, 10, 25, 12, minute)).toISOString();

export const ev = {
  at,
  received: (p: Partial<Of<'MessageReceived'>> = {}) => ({
    type: 'MessageReceived' as const,
    messageId: 'M1',
    sender: 'alice@remote.test',
    recipients: ['bob@example.test', 'carol@example.test'],
    bodyRef: 'bodies/M1',
    size: 120,
    sha256: 'ab'.repeat(32),
    at: at(0),
    ...p,
  }),
  policies: (p: Partial<Of<'PoliciesApplied'>> = {}) => ({ type: 'PoliciesApplied' as const, headers: ['Received: from x by y; z'], at: at(0), ...p }),
  policiesFailed: (p: Partial<Of<'PoliciesFailed'>> = {}) => ({ type: 'PoliciesFailed' as const, policy: 'spamassassin', status: '5.7.1', reason: 'message content rejected', at: at(0), ...p }),
  policiesDeferred: (p: Partial<Of<'PoliciesDeferred'>> = {}) => ({ type: 'PoliciesDeferred' as const, reason: 'spamd down', nextAttemptAt: at(5), at: at(0), ...p }),
  attempt: (attempt: number, recipients: string[], p: Partial<Of<'RelayAttempted'>> = {}) => ({
    type: 'RelayAttempted' as const, attempt, recipients, relay: 'maildir', at: at(attempt), ...p,
  }),
  delivered: (recipient: string, p: Partial<Of<'DeliverySucceeded'>> = {}) => ({
    type: 'DeliverySucceeded' as const, recipient, status: '2.0.0', reply: 'delivered to maildir', relay: 'maildir', at: at(1), ...p,
  }),
  deferred: (recipient: string, p: Partial<Of<'DeliveryDeferred'>> = {}) => ({
    type: 'DeliveryDeferred' as const, recipient, status: '4.2.0', reply: 'mailbox busy', relay: 'maildir', at: at(1), nextAttemptAt: at(6), ...p,
  }),
  failed: (recipient: string, p: Partial<Of<'DeliveryFailed'>> = {}) => ({
    type: 'DeliveryFailed' as const, recipient, status: '5.1.1', reply: 'user unknown', relay: 'maildir', at: at(1), ...p,
  }),
  expired: (p: Partial<Of<'MessageExpired'>> = {}) => ({ type: 'MessageExpired' as const, at: at(59), reason: 'message expired', ...p }),
  bounced: (p: Partial<Of<'MessageBounced'>> = {}) => ({ type: 'MessageBounced' as const, at: at(30), reason: 'bounced by operator', ...p }),
  held: () => ({ type: 'MessageHeld' as const, at: at(20) }),
  released: () => ({ type: 'MessageReleased' as const, at: at(21) }),
  retry: () => ({ type: 'RetryRequested' as const, at: at(22) }),
  requeued: () => ({ type: 'MessageRequeued' as const, at: at(24), by: 'cli' }),
  deleted: () => ({ type: 'MessageDeleted' as const, at: at(23) }),
  claimed: (node: string, attempt: number, leaseUntilMinute: number, atMinute: number) => ({
    type: 'AttemptClaimed' as const, node, attempt, leaseUntil: at(leaseUntilMinute), at: at(atMinute),
  }),
  split: (children: { messageId: string; recipients: string[] }[]) => ({ type: 'MessageSplit' as const, children, at: at(0) }),
};
