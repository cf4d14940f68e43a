/**
 * The queue's options and inputs: what `new Queue(...)` takes (every part named, or the
 * tutorial's storage + relay) and what `queue.enqueue(...)` takes.
 */
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import type { MessageContext } from '../../machines/message.context.js';
import type { ClientInfo } from '../mail/clientInfo.js';
import type { EventLog } from '../eventlog/eventLog.js';
import type { Readable } from 'node:stream';
import type { OpenBodyOptions } from '../spool/bodyReader.js';
import type { BodySource, Spool, StoredBody } from '../spool/spool.js';
import type { RetryPolicy } from './backoff.js';
import type { Envelope } from '../mail/envelope.js';
import type { RecoverySource } from '../readmodel/recoverySource.js';
import type { Relay } from '../relay/relay.js';
import type { Router } from './router.js';
import type { Scheduler } from './scheduler.js';
import type { SharedQueueOptions } from './sharedWork.js';

export interface QueueOptions {
  readonly log: EventLog;
  readonly spool: Spool;
  readonly router: Router;
  readonly hostname: string;
  readonly retry?: RetryPolicy;
  /** Delivery attempts in flight at once. */
  readonly concurrency?: number;
  readonly maxMessageSize?: number;
  readonly logger?: Logger;
  /** The clock (default Date.now); ignored when `scheduler` is given. */
  readonly now?: () => number;
  /** The clock and timers retries and expiry run on (default: real timers on `now`). */
  readonly scheduler?: Scheduler;
  /** Where start-up finds its work; default: fold every message stream of the log. */
  readonly recovery?: RecoverySource;
  /** Called when a message reaches a final state (metrics, tests), before its actor is dropped. */
  readonly onFinal?: (id: string, state: string, context: MessageContext) => void;
  /** Called when a message reaches a final state with failed recipients and a sender to tell. */
  readonly onBounce?: (context: MessageContext, queue: BounceQueue) => Promise<void>;
  /**
   * The log refused a message's outcomes (or PoliciesApplied) after every retry
   * (durableRecord.ts): stop rather than lose track. The daemon stops and exits 75; without
   * it the failure is only logged (fatal) and the message is taken up at the next start.
   */
  readonly onLogLost?: (err: Error) => void;
  /** Waits between the tries of a failed append of outcomes; default RECORD_RETRY_DELAYS (about 20 s). */
  readonly recordRetryDelays?: readonly number[];
  /** An inspection observer for every message actor (`run --inspect`); actors are then named `message-<id>`. */
  readonly inspect?: (event: InspectionEvent) => void;
  /**
   * Several daemons on one log (PostgreSQL, KurrentDB): this node's name, the claim lease, and
   * the view of the whole queue folded from the log. Attempts are claimed (AttemptClaimed),
   * due messages come from the view, operator commands reach messages other nodes received.
   */
  readonly shared?: SharedQueueOptions;
}

export interface EnqueueInput {
  readonly envelope: Envelope;
  /** The body to store; omitted when `stored` names a body already in the spool. */
  readonly body?: BodySource;
  /** A body already in bodies/<id> (`mailtrail requeue`): not stored again, never removed on failure. */
  readonly stored?: StoredBody;
  /** When the message was first received (a requeued body); default: now. */
  readonly receivedAt?: string;
  /** Marks the history of a message put back in the queue from the spool (MessageReceived.recovered). */
  readonly recovered?: 'quarantine' | 'spool';
  readonly client?: ClientInfo;
  readonly sessionId?: string;
  readonly smtputf8?: boolean;
  readonly id?: string;
  readonly origin?: 'smtp' | 'dsn' | 'split' | 'local';
  readonly parentId?: string;
  readonly policiesFrom?: number;
}

/** Where a queue keeps its truth: the event log and the body spool (the tutorial's storage). */
export interface QueueStorage {
  readonly log: EventLog;
  readonly spool: Spool;
  readonly recovery?: RecoverySource;
}

/**
 * Options of the tutorial-style constructor `new Queue(storage, relay, options)`; the router
 * it builds takes the last three (a Router given instead of a relay ignores them).
 */
export type QueueExtraOptions = Partial<Omit<QueueOptions, 'log' | 'spool' | 'router' | 'recovery'>> & {
  /** The domains hosted here: DSNs to senders there go to the relay. Default none (see router.ts). */
  readonly localDomains?: readonly string[];
  /** The known mailboxes at those domains. */
  readonly mailboxes?: readonly string[];
  /** The relay for every other recipient (a DSN to a remote sender): an SmtpRelay with MX lookup. */
  readonly outbound?: Relay;
};

/** What a bounce sender needs of the queue (a port, not the Queue): queue the DSN, read the original's body. */
export interface BounceQueue {
  enqueue(input: EnqueueInput): Promise<string>;
  openBody(ref: string, options?: OpenBodyOptions): Readable;
}
