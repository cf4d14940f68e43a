/**
 * One envelope's life in the queue. States are what operators read in histories:
 * received → policies-applied → relay-attempted → delivered | deferred | bounced, plus held,
 * split and deleted. Every transition is caused by a stored event (message.events.ts); retries
 * come as events from the runtime's scheduler, never from XState timers. Pure: the named
 * actions are side effects the runtime provides with `.provide()`; replay drops them.
 */
import { assign, setup } from 'xstate';
import type { MessageEvent } from './message.events.js';
import {
  type MessageContext,
  allPending,
  anyDelivered,
  anyInFlight,
  anyPending,
  bouncePending,
  claimIsFree,
  contextFromReceived,
  emptyMessageContext,
  failPending,
  isInFlight,
  recordOutcome,
  refusePending,
  requeuedContext,
  rewriteRecipients,
  startAttempt,
} from './message.context.js';

/**
 * Bumped when the machine's states or their meaning change; stored with each stream.
 * 2: MessageBounced ends `bounced` with 5.0.0 (version-1 histories replay via the upcaster).
 * 3: AttemptClaimed (shared logs: one node owns an attempt, by lease); older histories have
 *    none and replay unchanged.
 */
export const MESSAGE_MACHINE_VERSION = 3;

/** A claim is recorded where an attempt can start or runs; it never changes the state. */
const CLAIM = { guard: 'isFreeClaim', actions: 'recordClaim' } as const;

/** An operator bounce ends the message bounced; one recorded before schema 2 settled by its recipients. */
const OPERATOR_BOUNCE = [
  { guard: 'isSchema1Bounce', target: 'settling', actions: 'bounceRecipients' },
  { target: 'bounced', actions: 'bounceRecipients' },
] as const;

export const messageMachine = setup({
  types: {
    context: {} as MessageContext,
    events: {} as MessageEvent,
  },
  actions: {
    recordClaim: assign(({ event }) =>
      event.type === 'AttemptClaimed' ? { claim: { node: event.node, leaseUntil: event.leaseUntil } } : {},
    ),
    /** The attempt's outcomes are all in: its claim ends with it. */
    releaseClaim: assign(() => ({ claim: undefined })),
    /** An attempt under way has no next attempt time until an outcome defers a recipient. */
    recordAttempt: assign(({ context, event }) =>
      event.type === 'RelayAttempted'
        ? { attempts: event.attempt, recipients: startAttempt(context, event.recipients), nextAttemptAt: null }
        : {},
    ),
    refuseRecipients: assign(({ context, event }) =>
      event.type === 'PoliciesFailed'
        ? { recipients: refusePending(context, event.status, event.reason, event.at), lastReason: event.reason }
        : {},
    ),
    expireRecipients: assign(({ context, event }) =>
      event.type === 'MessageExpired'
        ? { recipients: failPending(context, '4.4.7', event.reason, event.at), lastReason: event.reason }
        : {},
    ),
    bounceRecipients: assign(({ context, event }) =>
      event.type !== 'MessageBounced'
        ? {}
        : {
            recipients: event.schema1
              ? failPending(context, '5.0.0', event.reason, event.at)
              : bouncePending(context, event.reason, event.at),
            lastReason: event.reason,
          },
    ),
    /** Run the prequeue policies, then append PoliciesApplied, PoliciesDeferred or PoliciesFailed. */
    runPolicies: () => {},
    /** Append RelayAttempted for the pending recipients (when a concurrency slot is free). */
    startAttempt: () => {},
    /** Hand the in-flight recipients to the relay, then append one outcome per recipient. */
    deliver: () => {},
    /** Arm the runtime's timer for context.nextAttemptAt. */
    scheduleRetry: () => {},
    /** MessageRequeued: the policies run again from `received`, due now. */
    requeue: assign(({ event }) => (event.type === 'MessageRequeued' ? requeuedContext(event.at) : {})),
    /** Disarm that timer. */
    cancelRetry: () => {},
    /** Queue the split children (their own streams). */
    enqueueChildren: () => {},
    /** A final state: send a DSN for failed recipients (never to <>), schedule body removal. */
    finalize: () => {},
  },
  guards: {
    isNewAttempt: ({ context, event }) =>
      event.type === 'RelayAttempted' &&
      event.attempt === context.attempts + 1 &&
      allPending(context, event.recipients),
    isInFlightRecipient: ({ context, event }) =>
      (event.type === 'DeliverySucceeded' || event.type === 'DeliveryDeferred' || event.type === 'DeliveryFailed') &&
      isInFlight(context, event.recipient),
    isFreeClaim: ({ context, event }) => event.type === 'AttemptClaimed' && claimIsFree(context, event.node, event.at),
    hasPendingRecipients: ({ context }) => anyPending(context),
    everyRecipientSettled: ({ context }) => !anyInFlight(context),
    noneDelivered: ({ context }) => !anyDelivered(context),
    policiesWereApplied: ({ context }) => context.policiesApplied,
    isSchema1Bounce: ({ event }) => event.type === 'MessageBounced' && event.schema1 === true,
    hasChildren: ({ event }) => event.type === 'MessageSplit' && event.children.length > 0,
  },
}).createMachine({
  id: 'message',
  context: emptyMessageContext,
  initial: 'new',
  states: {
    new: {
      on: {
        MessageReceived: { target: 'received', actions: assign(({ event }) => contextFromReceived(event)) },
      },
    },
    received: {
      entry: 'runPolicies',
      on: {
        PoliciesApplied: {
          target: 'policies-applied',
          actions: assign(({ context, event }) => ({
            headers: event.headers,
            verdicts: event.verdicts ?? {},
            policiesApplied: true,
            ...(event.recipients ? { recipients: rewriteRecipients(context, event.recipients) } : {}),
          })),
        },
        PoliciesDeferred: {
          target: 'received',
          reenter: true,
          actions: assign(({ event }) => ({ nextAttemptAt: event.nextAttemptAt, lastReason: event.reason })),
        },
        PoliciesFailed: { target: 'settling', actions: 'refuseRecipients' },
        // The operator's retry of a message whose policies were deferred: they run again, due now.
        RetryRequested: {
          target: 'received',
          reenter: true,
          actions: assign(({ event }) => ({ nextAttemptAt: event.at })),
        },
        MessageSplit: {
          guard: 'hasChildren',
          target: 'split',
          actions: assign(({ event }) => ({ children: event.children.map((c) => c.messageId) })),
        },
        MessageExpired: { target: 'settling', actions: 'expireRecipients' },
        MessageBounced: OPERATOR_BOUNCE,
        MessageHeld: 'held',
        MessageDeleted: 'deleted',
      },
    },
    'policies-applied': {
      entry: 'startAttempt',
      on: {
        AttemptClaimed: CLAIM,
        RelayAttempted: { guard: 'isNewAttempt', target: 'relay-attempted', actions: 'recordAttempt' },
        MessageRequeued: { target: 'received', actions: 'requeue' },
        MessageBounced: OPERATOR_BOUNCE,
        MessageHeld: 'held',
        MessageDeleted: 'deleted',
      },
    },
    'relay-attempted': {
      entry: 'deliver',
      always: { guard: 'everyRecipientSettled', target: 'settling' },
      on: {
        // A renewal by the node running the attempt, or another node's takeover once the lease ran out.
        AttemptClaimed: CLAIM,
        DeliverySucceeded: {
          guard: 'isInFlightRecipient',
          actions: assign(({ context, event }) => ({
            recipients: recordOutcome(context, event.recipient, 'delivered', {
              dsn: event.status,
              reply: event.reply,
              relay: event.relay,
              at: event.at,
            }),
          })),
        },
        DeliveryDeferred: {
          guard: 'isInFlightRecipient',
          actions: assign(({ context, event }) => ({
            recipients: recordOutcome(context, event.recipient, 'pending', {
              dsn: event.status,
              reply: event.reply,
              relay: event.relay,
              at: event.at,
            }),
            nextAttemptAt: event.nextAttemptAt,
            lastReason: event.reply,
          })),
        },
        DeliveryFailed: {
          guard: 'isInFlightRecipient',
          actions: assign(({ context, event }) => ({
            recipients: recordOutcome(context, event.recipient, 'failed', {
              dsn: event.status,
              reply: event.reply,
              relay: event.relay,
              at: event.at,
            }),
            lastReason: event.reply,
          })),
        },
        // A crash left this attempt without outcomes: the runtime starts a new one.
        RelayAttempted: { guard: 'isNewAttempt', target: 'relay-attempted', reenter: true, actions: 'recordAttempt' },
        MessageDeleted: 'deleted',
      },
    },
    /** Transient: decides where a message goes once no recipient is in flight. */
    settling: {
      entry: 'releaseClaim',
      always: [
        { guard: 'hasPendingRecipients', target: 'deferred' },
        { guard: 'noneDelivered', target: 'bounced' },
        { target: 'delivered' },
      ],
    },
    deferred: {
      entry: 'scheduleRetry',
      exit: 'cancelRetry',
      on: {
        AttemptClaimed: CLAIM,
        RelayAttempted: { guard: 'isNewAttempt', target: 'relay-attempted', actions: 'recordAttempt' },
        RetryRequested: {
          target: 'deferred',
          reenter: true,
          actions: assign(({ event }) => ({ nextAttemptAt: event.at })),
        },
        MessageRequeued: { target: 'received', actions: 'requeue' },
        MessageExpired: { target: 'settling', actions: 'expireRecipients' },
        MessageBounced: OPERATOR_BOUNCE,
        MessageHeld: 'held',
        MessageDeleted: 'deleted',
      },
    },
    held: {
      on: {
        MessageReleased: [
          {
            guard: 'policiesWereApplied',
            target: 'deferred',
            actions: assign(({ event }) => ({ nextAttemptAt: event.at })),
          },
          { target: 'received', actions: assign(({ event }) => ({ nextAttemptAt: event.at })) },
        ],
        MessageRequeued: { target: 'received', actions: 'requeue' },
        MessageBounced: OPERATOR_BOUNCE,
        MessageDeleted: 'deleted',
      },
    },
    delivered: { type: 'final', entry: 'finalize' },
    bounced: { type: 'final', entry: 'finalize' },
    split: { type: 'final', entry: 'enqueueChildren' },
    deleted: { type: 'final', entry: 'finalize' },
  },
});

export type MessageMachine = typeof messageMachine;
