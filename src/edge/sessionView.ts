/**
 * Read-only views of an smtp-server session: what validators see (ValidatorSession), what
 * the queue stores about the client (ClientInfo with the RFC 3848 protocol name, from
 * machines/smtpSession.context's receivedProtocol) and the envelope of the transaction.
 * Pure functions of the session object; no I/O.
 */
import type { SMTPServerSession } from 'smtp-server';
import { emptySessionContext, receivedProtocol } from '../../machines/smtpSession.context.js';
import type { ClientInfo, ReceivedProtocol } from '../mail/clientInfo.js';
import type { Envelope } from '../mail/envelope.js';
import type { ValidatorSession } from './smtpValidators.js';

type Tls = { cipher?: string; version?: string };

export function tlsOf(session: SMTPServerSession): Tls | undefined {
  if (!session.secure) return undefined;
  const t = session.tlsOptions;
  if (!t) return {};
  return { ...(t.name ? { cipher: t.name } : {}), ...(t.version ? { version: t.version } : {}) };
}

/** The client's reverse DNS name; smtp-server puts `[ip]` there when there is none. */
export function rdnsOf(session: SMTPServerSession): string | undefined {
  const name = session.clientHostname;
  return name && !name.startsWith('[') ? name : undefined;
}

export function heloOf(session: SMTPServerSession): string | undefined {
  return session.hostNameAppearsAs ? session.hostNameAppearsAs : undefined;
}

export function userOf(session: SMTPServerSession): string | undefined {
  return typeof session.user === 'string' && session.user ? session.user : undefined;
}

export const isEsmtp = (session: SMTPServerSession): boolean =>
  session.openingCommand === 'EHLO' || session.openingCommand === 'LHLO';

export function validatorSession(session: SMTPServerSession): ValidatorSession {
  const env = session.envelope;
  const rdns = rdnsOf(session);
  const helo = heloOf(session);
  const tls = tlsOf(session);
  const user = userOf(session);
  return {
    id: session.id,
    remoteAddress: session.remoteAddress,
    remotePort: session.remotePort,
    localAddress: session.localAddress,
    localPort: session.localPort,
    ...(rdns ? { rdns } : {}),
    ...(helo ? { helo } : {}),
    esmtp: isEsmtp(session),
    ...(tls ? { tls } : {}),
    ...(user ? { user } : {}),
    ...(env?.mailFrom ? { sender: env.mailFrom.address } : {}),
    recipients: env ? env.rcptTo.map((r) => r.address) : [],
    smtputf8: Boolean(env?.smtpUtf8),
  };
}

export function envelopeOf(session: SMTPServerSession): Envelope {
  const env = session.envelope;
  return { sender: env.mailFrom ? env.mailFrom.address : '', recipients: env.rcptTo.map((r) => r.address) };
}

/** ESMTP / ESMTPS / ESMTPSA / UTF8SMTPS … as RFC 3848 (and RFC 6531 for UTF8SMTP) name them. */
export function protocolOf(session: SMTPServerSession): ReceivedProtocol {
  const tls = tlsOf(session);
  const user = userOf(session);
  return receivedProtocol({
    ...emptySessionContext,
    esmtp: isEsmtp(session),
    smtputf8: Boolean(session.envelope?.smtpUtf8),
    ...(tls ? { tls } : {}),
    ...(user ? { user } : {}),
  });
}

export function clientOf(session: SMTPServerSession): ClientInfo {
  const rdns = rdnsOf(session);
  const helo = heloOf(session);
  const tls = tlsOf(session);
  const user = userOf(session);
  return {
    ip: session.remoteAddress,
    ...(rdns ? { rdns } : {}),
    ...(helo ? { helo } : {}),
    protocol: protocolOf(session),
    ...(tls ? { tls } : {}),
    ...(user ? { user } : {}),
  };
}
