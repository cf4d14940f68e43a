/**
 * The events of one message's life, as stored in its `message-<id>` stream and as sent to
 * the message machine. Past tense, permanent once shipped: a changed payload gets a new
 * schema version and an upcaster (src/replay/upcasters.ts), never a silent reshape.
 * Time always arrives as data (`at`, ISO-8601): the machine never reads a clock.
 */

/** RFC 3848's protocol names (RFC 6531's UTF8SMTP…), as a Received header's `with` clause says them. */
export type ReceivedProtocol = 'SMTP' | 'LMTP' | `${'ESMTP' | 'UTF8SMTP'}${'' | 'S'}${'' | 'A'}`;

/** The client a message came from, as MessageReceived stores it (src/mail/clientInfo.ts re-exports it). */
export interface ClientInfo {
  readonly ip: string;
  readonly rdns?: string;
  readonly helo?: string;
  readonly protocol: ReceivedProtocol;
  readonly tls?: { readonly cipher?: string; readonly version?: string };
  /** The AUTH identity, when the client authenticated. */
  readonly user?: string;
}

export interface MessageReceived {
  readonly type: 'MessageReceived';
  readonly messageId: string;
  /** '' for the null sender <>. */
  readonly sender: string;
  readonly recipients: readonly string[];
  readonly bodyRef: string;
  readonly size: number;
  readonly sha256: string;
  readonly at: string;
  readonly sessionId?: string;
  readonly client?: ClientInfo;
  readonly smtputf8?: boolean;
  /** Set for messages made by the queue itself: a DSN or a split child. */
  readonly parentId?: string;
  readonly origin?: 'smtp' | 'dsn' | 'split' | 'local';
  /** A split child continues with the prequeue policies after the one that split its parent. */
  readonly policiesFrom?: number;
  /** The Subject and Message-Id header fields as received (unfolded, raw), for search. */
  readonly subject?: string;
  readonly headerMessageId?: string;
  /**
   * Set when `mailtrail requeue` put an already spooled body back in the queue from the
   * envelope stored with it: 'quarantine' (a body start-up quarantined) or 'spool' (a body the
   * log had lost). `at` is then the time the message was first received.
   */
  readonly recovered?: 'quarantine' | 'spool';
}

export interface PoliciesApplied {
  readonly type: 'PoliciesApplied';
  /** Header lines to prepend to the body, in order. */
  readonly headers: readonly string[];
  /** Recipients after rewriting (Forward); absent = unchanged. */
  readonly recipients?: readonly string[];
  /** What each policy decided (spam score …), kept so a replay never asks again. */
  readonly verdicts?: Readonly<Record<string, unknown>>;
  readonly at: string;
}

export interface PoliciesDeferred {
  readonly type: 'PoliciesDeferred';
  readonly reason: string;
  readonly nextAttemptAt: string;
  readonly at: string;
}

/**
 * A prequeue policy refused the message for good (it threw a PermanentError: a spam verdict
 * that rejects, a message no policy may pass): every pending recipient fails with `status`
 * (5.x.x) and `reason`, and the sender gets a DSN, as Postfix bounces what a content filter
 * rejects after the queue.
 */
export interface PoliciesFailed {
  readonly type: 'PoliciesFailed';
  /** The policy that refused it (its name). */
  readonly policy: string;
  readonly status: string;
  readonly reason: string;
  readonly at: string;
}

export interface MessageSplit {
  readonly type: 'MessageSplit';
  readonly children: readonly { readonly messageId: string; readonly recipients: readonly string[] }[];
  readonly at: string;
}

export interface RelayAttempted {
  readonly type: 'RelayAttempted';
  /** 1 for the first attempt; one more than the last attempt. */
  readonly attempt: number;
  readonly recipients: readonly string[];
  readonly relay: string;
  readonly at: string;
}

/**
 * A node claims the message's next attempt (or renews its claim on the one it runs) on a log
 * several daemons share: appended at the expected revision, so of two nodes claiming at once
 * one gets a revision conflict and moves on. Until `leaseUntil` no other node may claim it;
 * after it (the node died mid-attempt) another node takes the attempt over. Written together
 * with the RelayAttempted it claims for; renewals alone while a long attempt runs.
 */
export interface AttemptClaimed {
  readonly type: 'AttemptClaimed';
  /** The claiming node (config `node`). */
  readonly node: string;
  /** The attempt claimed: one more than the last for a new one, the current one for a renewal. */
  readonly attempt: number;
  /** ISO-8601: the claim holds until then. */
  readonly leaseUntil: string;
  readonly at: string;
}

interface RecipientOutcome {
  readonly recipient: string;
  /** RFC 3463 enhanced status, e.g. 2.0.0, 4.2.0, 5.1.1. */
  readonly status: string;
  /** The relay's or remote server's reply text. */
  readonly reply: string;
  readonly relay: string;
  readonly at: string;
}

export interface DeliverySucceeded extends RecipientOutcome {
  readonly type: 'DeliverySucceeded';
}

export interface DeliveryDeferred extends RecipientOutcome {
  readonly type: 'DeliveryDeferred';
  /** When the runtime's scheduler will try again (computed by the runtime's backoff). */
  readonly nextAttemptAt: string;
}

export interface DeliveryFailed extends RecipientOutcome {
  readonly type: 'DeliveryFailed';
}

/** maxLifetime passed: every pending recipient fails with its last reason. */
export interface MessageExpired {
  readonly type: 'MessageExpired';
  readonly at: string;
  readonly reason: string;
}

/**
 * An operator bounced the message (Postfix's `postsuper -b`-like): every pending recipient fails
 * for good with 5.0.0 and the message ends `bounced`, even when other recipients were delivered.
 */
export interface MessageBounced {
  readonly type: 'MessageBounced';
  readonly at: string;
  readonly reason: string;
  readonly by?: string;
  /**
   * Set by the upcaster on events of schema 1, never written: then the pending recipients kept
   * their last status and the message ended by its recipients (delivered when any was).
   */
  readonly schema1?: true;
}

export interface MessageHeld {
  readonly type: 'MessageHeld';
  readonly at: string;
  readonly reason?: string;
  readonly by?: string;
}

export interface MessageReleased {
  readonly type: 'MessageReleased';
  readonly at: string;
  readonly by?: string;
}

/** An operator asked for an attempt now (mailtrail retry / flush). */
export interface RetryRequested {
  readonly type: 'RetryRequested';
  readonly at: string;
  readonly by?: string;
}

/**
 * An operator asked for the prequeue policies and routing to run again (mailtrail requeue,
 * as postsuper -r): back to `received`, policy headers dropped; recipients already delivered
 * or failed keep their outcome, the pending ones go through the policies again.
 */
export interface MessageRequeued {
  readonly type: 'MessageRequeued';
  readonly at: string;
  readonly by?: string;
}

/** Removed without a bounce (postsuper -d). */
export interface MessageDeleted {
  readonly type: 'MessageDeleted';
  readonly at: string;
  readonly reason?: string;
  readonly by?: string;
}

export type MessageEvent =
  | MessageReceived
  | PoliciesApplied
  | PoliciesDeferred
  | PoliciesFailed
  | MessageSplit
  | RelayAttempted
  | AttemptClaimed
  | DeliverySucceeded
  | DeliveryDeferred
  | DeliveryFailed
  | MessageExpired
  | MessageBounced
  | MessageHeld
  | MessageReleased
  | RetryRequested
  | MessageRequeued
  | MessageDeleted;

export type MessageEventType = MessageEvent['type'];

export const MESSAGE_EVENT_TYPES: readonly MessageEventType[] = [
  'MessageReceived',
  'PoliciesApplied',
  'PoliciesDeferred',
  'PoliciesFailed',
  'MessageSplit',
  'RelayAttempted',
  'DeliverySucceeded',
  'DeliveryDeferred',
  'DeliveryFailed',
  'MessageExpired',
  'MessageBounced',
  'MessageHeld',
  'MessageReleased',
  'RetryRequested',
  'MessageRequeued',
  'MessageDeleted',
  'AttemptClaimed',
];
