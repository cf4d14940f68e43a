/**
 * The stored events as data: for each event type of the two machines (and the probe record),
 * its stream and every field of its payload with whether it is always there. The types below
 * make the table follow message.events.ts and smtpSession.events.ts: a type or a field added,
 * removed, or turned optional there does not compile here until the table says so.
 * docs/events.md shows the same fields; test/machines/eventsDoc.test.ts compares the two and
 * checks that each machine handles exactly the types listed. Data only: no xstate.
 */
import type { MessageEvent, MessageEventType } from './message.events.js';
import type { SessionProbed, SmtpSessionEvent, SmtpSessionEventType } from './smtpSession.events.js';

/**
 * `required`: in every stored event; `optional`: may be absent (`?` in docs/events.md);
 * `upcast`: never stored, set by an upcaster when an old schema is read (not in the doc).
 */
export type FieldPresence = 'required' | 'optional' | 'upcast';

/** Every field of `E` but `type`, each with the presence its declaration allows. */
type FieldsOf<E> = {
  readonly [K in Exclude<keyof E, 'type'>]-?: {} extends Pick<E, K> ? 'optional' | 'upcast' : 'required';
};

type Table<U extends { type: string }> = { readonly [T in U['type']]: FieldsOf<Extract<U, { type: T }>> };

export const messageEventFields: Table<MessageEvent> = {
  MessageReceived: {
    messageId: 'required',
    sender: 'required',
    recipients: 'required',
    bodyRef: 'required',
    size: 'required',
    sha256: 'required',
    at: 'required',
    sessionId: 'optional',
    client: 'optional',
    smtputf8: 'optional',
    parentId: 'optional',
    origin: 'optional',
    policiesFrom: 'optional',
    subject: 'optional',
    headerMessageId: 'optional',
    recovered: 'optional',
  },
  PoliciesApplied: { headers: 'required', recipients: 'optional', verdicts: 'optional', at: 'required' },
  PoliciesDeferred: { reason: 'required', nextAttemptAt: 'required', at: 'required' },
  PoliciesFailed: { policy: 'required', status: 'required', reason: 'required', at: 'required' },
  MessageSplit: { children: 'required', at: 'required' },
  RelayAttempted: { attempt: 'required', recipients: 'required', relay: 'required', at: 'required' },
  AttemptClaimed: { node: 'required', attempt: 'required', leaseUntil: 'required', at: 'required' },
  DeliverySucceeded: {
    recipient: 'required',
    status: 'required',
    reply: 'required',
    relay: 'required',
    at: 'required',
  },
  DeliveryDeferred: {
    recipient: 'required',
    status: 'required',
    reply: 'required',
    relay: 'required',
    at: 'required',
    nextAttemptAt: 'required',
  },
  DeliveryFailed: { recipient: 'required', status: 'required', reply: 'required', relay: 'required', at: 'required' },
  MessageExpired: { reason: 'required', at: 'required' },
  MessageBounced: { reason: 'required', at: 'required', by: 'optional', schema1: 'upcast' },
  MessageHeld: { at: 'required', reason: 'optional', by: 'optional' },
  MessageReleased: { at: 'required', by: 'optional' },
  RetryRequested: { at: 'required', by: 'optional' },
  MessageRequeued: { at: 'required', by: 'optional' },
  MessageDeleted: { at: 'required', reason: 'optional', by: 'optional' },
};

export const sessionEventFields: Table<SmtpSessionEvent> = {
  SessionConnected: {
    sessionId: 'required',
    remoteAddress: 'required',
    remotePort: 'required',
    localAddress: 'required',
    localPort: 'required',
    rdns: 'optional',
    at: 'required',
  },
  ClientGreeted: { helo: 'required', esmtp: 'required', at: 'required' },
  TlsStarted: { cipher: 'optional', version: 'optional', at: 'required' },
  AuthSucceeded: { user: 'required', method: 'required', at: 'required' },
  AuthFailed: { user: 'optional', method: 'required', reply: 'required', at: 'required' },
  MailFromAccepted: { sender: 'required', size: 'optional', smtputf8: 'optional', at: 'required' },
  MailFromRefused: { sender: 'required', reply: 'required', at: 'required' },
  RecipientAccepted: { recipient: 'required', at: 'required' },
  RecipientRefused: { recipient: 'required', reply: 'required', at: 'required' },
  MessageAccepted: { messageId: 'required', size: 'required', at: 'required' },
  MessageRefused: { reply: 'required', at: 'required' },
  SessionReset: { at: 'required' },
  SessionClosed: { reason: 'required', at: 'required' },
};

/** The one record of a connection that closed before MAIL (`probes-<yyyy-mm-dd>`); no machine folds it. */
export const probeEventFields: Table<SessionProbed> = {
  SessionProbed: {
    sessionId: 'required',
    remoteAddress: 'required',
    helo: 'optional',
    tls: 'required',
    authFailures: 'required',
    reason: 'required',
    connectedAt: 'required',
    at: 'required',
  },
};

export const MESSAGE_EVENT_NAMES = Object.keys(messageEventFields) as MessageEventType[];
export const SESSION_EVENT_NAMES = Object.keys(sessionEventFields) as SmtpSessionEventType[];
