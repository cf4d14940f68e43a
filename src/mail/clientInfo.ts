/**
 * The client a message came from (address, reverse DNS, HELO, RFC 3848 protocol, TLS, AUTH
 * identity): one type, defined with the events that store it (machines/message.events.ts) and
 * read by the edge, the policies (Received header), the queue and the DSN. `clientInfoFrom`
 * checks one read back from JSON (a spooled envelope) instead of trusting its shape.
 */
import type { ClientInfo, ReceivedProtocol } from '../../machines/message.events.js';

export type { ClientInfo, ReceivedProtocol } from '../../machines/message.events.js';

const PROTOCOLS: ReadonlySet<string> = new Set<ReceivedProtocol>([
  'SMTP',
  'LMTP',
  'ESMTP',
  'ESMTPS',
  'ESMTPA',
  'ESMTPSA',
  'UTF8SMTP',
  'UTF8SMTPS',
  'UTF8SMTPA',
  'UTF8SMTPSA',
]);

export const isReceivedProtocol = (value: unknown): value is ReceivedProtocol =>
  typeof value === 'string' && PROTOCOLS.has(value);

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The client described by a JSON value read back, or undefined when it has no address or protocol. */
export function clientInfoFrom(value: Readonly<Record<string, unknown>> | undefined): ClientInfo | undefined {
  const ip = text(value?.ip);
  const protocol = value?.protocol;
  if (!value || !ip || !isReceivedProtocol(protocol)) return undefined;
  const rdns = text(value.rdns);
  const helo = text(value.helo);
  const user = text(value.user);
  const tlsValue = value.tls as Readonly<Record<string, unknown>> | undefined;
  const cipher = text(tlsValue?.cipher);
  const version = text(tlsValue?.version);
  const tls =
    tlsValue && typeof tlsValue === 'object'
      ? { ...(cipher ? { cipher } : {}), ...(version ? { version } : {}) }
      : undefined;
  return {
    ip,
    protocol,
    ...(rdns ? { rdns } : {}),
    ...(helo ? { helo } : {}),
    ...(tls ? { tls } : {}),
    ...(user ? { user } : {}),
  };
}
