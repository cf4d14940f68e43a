/**
 * One SMTP connection, as RFC 5321 §4.1.4 orders its commands: connected → greeted
 * (HELO/EHLO) → mail → rcpt → back to greeted after DATA or RSET; closed is final.
 * smtp-server already answers 503 to out-of-order commands; these guards make the same
 * ordering an invariant of stored histories, so an impossible history fails on replay.
 * Pure: named actions are provided by the runtime (src/edge) with `.provide()`.
 */
import { assign, setup } from 'xstate';
import type { SmtpSessionEvent } from './smtpSession.events.js';
import { type SmtpSessionContext, clearedTransaction, emptySessionContext } from './smtpSession.context.js';

export const SMTP_SESSION_MACHINE_VERSION = 1;

export const smtpSessionMachine = setup({
  types: {
    context: {} as SmtpSessionContext,
    events: {} as SmtpSessionEvent,
  },
  actions: {
    greet: assign(({ event }) =>
      event.type === 'ClientGreeted' ? { helo: event.helo, esmtp: event.esmtp, ...clearedTransaction } : {},
    ),
    startTls: assign(({ event }) =>
      event.type === 'TlsStarted'
        ? {
            tls: {
              ...(event.cipher ? { cipher: event.cipher } : {}),
              ...(event.version ? { version: event.version } : {}),
            },
            ...clearedTransaction,
          }
        : {},
    ),
    authenticate: assign(({ event }) => (event.type === 'AuthSucceeded' ? { user: event.user } : {})),
    countAuthFailure: assign(({ context }) => ({ authFailures: context.authFailures + 1 })),
    countRefusal: assign(({ context }) => ({ refusals: context.refusals + 1 })),
    reset: assign(() => ({ ...clearedTransaction })),
    recordClose: assign(({ event }) => (event.type === 'SessionClosed' ? { closedReason: event.reason } : {})),
    /** Provided by the runtime: the session is over (flush its stream, release resources). */
    sessionEnded: () => {},
  },
  guards: {
    tlsNotStarted: ({ context }) => context.tls === undefined,
    notAuthenticated: ({ context }) => context.user === undefined,
    hasRecipients: ({ context }) => context.recipients.length > 0,
  },
}).createMachine({
  id: 'smtpSession',
  context: emptySessionContext,
  initial: 'new',
  states: {
    new: {
      on: {
        SessionConnected: {
          target: 'open',
          actions: assign(({ event }) => ({
            ...emptySessionContext,
            sessionId: event.sessionId,
            remoteAddress: event.remoteAddress,
            remotePort: event.remotePort,
            ...(event.rdns !== undefined ? { rdns: event.rdns } : {}),
            connectedAt: event.at,
          })),
        },
      },
    },
    open: {
      initial: 'connected',
      on: {
        SessionClosed: { target: 'closed', actions: 'recordClose' },
        // EHLO/HELO is allowed at any time and aborts a transaction in progress.
        ClientGreeted: { target: '.greeted', actions: 'greet' },
      },
      states: {
        connected: {
          on: {
            TlsStarted: { guard: 'tlsNotStarted', target: 'connected', actions: 'startTls' },
            AuthSucceeded: { guard: 'notAuthenticated', actions: 'authenticate' },
            AuthFailed: { actions: 'countAuthFailure' },
          },
        },
        greeted: {
          on: {
            // After STARTTLS the client must greet again (RFC 3207 §4.2).
            TlsStarted: { guard: 'tlsNotStarted', target: 'connected', actions: 'startTls' },
            AuthSucceeded: { guard: 'notAuthenticated', actions: 'authenticate' },
            AuthFailed: { actions: 'countAuthFailure' },
            MailFromAccepted: {
              target: 'mail',
              actions: assign(({ event }) => ({ sender: event.sender, smtputf8: event.smtputf8 ?? false })),
            },
            MailFromRefused: { actions: 'countRefusal' },
            SessionReset: { actions: 'reset' },
          },
        },
        mail: {
          on: {
            RecipientAccepted: {
              target: 'rcpt',
              actions: assign(({ context, event }) => ({ recipients: [...context.recipients, event.recipient] })),
            },
            RecipientRefused: {
              actions: [
                'countRefusal',
                assign(({ context }) => ({ refusedRecipients: context.refusedRecipients + 1 })),
              ],
            },
            SessionReset: { target: 'greeted', actions: 'reset' },
          },
        },
        rcpt: {
          on: {
            RecipientAccepted: {
              actions: assign(({ context, event }) => ({ recipients: [...context.recipients, event.recipient] })),
            },
            RecipientRefused: {
              actions: [
                'countRefusal',
                assign(({ context }) => ({ refusedRecipients: context.refusedRecipients + 1 })),
              ],
            },
            MessageAccepted: {
              guard: 'hasRecipients',
              target: 'greeted',
              actions: [
                assign(({ context, event }) => ({ messages: [...context.messages, event.messageId] })),
                'reset',
              ],
            },
            MessageRefused: { target: 'greeted', actions: ['countRefusal', 'reset'] },
            SessionReset: { target: 'greeted', actions: 'reset' },
          },
        },
      },
    },
    closed: { type: 'final', entry: 'sessionEnded' },
  },
});

export type SmtpSessionMachine = typeof smtpSessionMachine;
