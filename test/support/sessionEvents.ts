/** Builders of smtpSession events for tests, with fixed times. */
import type { SmtpSessionEvent } from '../../machines/smtpSession.events.js';

type Of<T extends SmtpSessionEvent['type']> = Omit<Extract<SmtpSessionEvent, { type: T }>, 'type'>;
const at = '2026-11-25T12:00:00.000Z';

export const se = {
  connected: (p: Partial<Of<'SessionConnected'>> = {}) => ({
    type: 'SessionConnected' as const,
    sessionId: 'S1',
    remoteAddress: '127.0.0.1',
    remotePort: 40000,
    localAddress: '127.0.0.1',
    localPort: 2525,
    at,
    ...p,
  }),
  greeted: (helo = 'client.test', esmtp = true) => ({ type: 'ClientGreeted' as const, helo, esmtp, at }),
  tls: () => ({ type: 'TlsStarted' as const, cipher: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3', at }),
  auth: (user = 'alice') => ({ type: 'AuthSucceeded' as const, user, method: 'PLAIN', at }),
  authFailed: () => ({ type: 'AuthFailed' as const, method: 'PLAIN', reply: '535 5.7.8 Authentication failed', at }),
  mail: (sender = 'alice@remote.test', p: Partial<Of<'MailFromAccepted'>> = {}) => ({
    type: 'MailFromAccepted' as const,
    sender,
    at,
    ...p,
  }),
  mailRefused: () => ({ type: 'MailFromRefused' as const, sender: 'x@y', reply: '553 5.1.7 bad sender', at }),
  rcpt: (recipient = 'bob@example.test') => ({ type: 'RecipientAccepted' as const, recipient, at }),
  rcptRefused: (recipient = 'eve@elsewhere.test') => ({
    type: 'RecipientRefused' as const,
    recipient,
    reply: '550 5.7.1 Relay access denied',
    at,
  }),
  accepted: (messageId = 'M1') => ({ type: 'MessageAccepted' as const, messageId, size: 100, at }),
  refused: () => ({ type: 'MessageRefused' as const, reply: '552 5.3.4 Message too big', at }),
  reset: () => ({ type: 'SessionReset' as const, at }),
  closed: (reason: Of<'SessionClosed'>['reason'] = 'quit') => ({ type: 'SessionClosed' as const, reason, at }),
};
