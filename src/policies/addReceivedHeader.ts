/**
 * Policy addReceivedHeader: the trace field of RFC 5321 §4.4 with RFC 3848's protocol
 * names, Postfix's layout: `Received: from <helo> (<rdns> [<ip>]) (using <tls>)
 * by <hostname> (mailtrail) with <protocol> id <queue id> for <rcpt>; <date>`.
 * `for` appears only with exactly one recipient (more would leak Bcc); IPv6 is written
 * [IPv6:...]; a missing HELO falls back to the rDNS name, a missing name to "unknown";
 * client-supplied text is stripped of anything that could break the field. Lines longer
 * than 78 are folded at spaces with CRLF + TAB. Always added: every hop adds its own.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { formatRfc5322Date } from '../mail/rfc5322Date.js';
import type { ClientInfo, QueuedMessage } from '../mail/envelope.js';
import { foldClauses } from '../mail/foldHeader.js';
import type { PolicyContext, PolicyEffect, PrequeuePolicy } from './policy.js';

/** Client-supplied text made safe for a Received field: no controls, spaces, ( ) ; \ or, unless UTF-8 is allowed, non-ASCII. */
export function traceText(text: string, utf8: boolean): string {
  const safe = text.replace(/[\p{Cc}\s()\\;]/gu, '_');
  return utf8 ? safe : safe.replace(/[^\x21-\x7e]/g, '?');
}

/** The address literal for `ip`: [192.0.2.1], [IPv6:2001:db8::1]; IPv4-mapped IPv6 as IPv4. */
export function addressLiteral(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped && isIPv4(mapped[1]!)) return `[${mapped[1]}]`;
  if (isIPv4(bare)) return `[${bare}]`;
  if (isIPv6(bare)) return `[IPv6:${bare.toLowerCase()}]`;
  return `[${traceText(bare, false).replace(/[[\]]/g, '_')}]`;
}

function fromClauses(client: ClientInfo, utf8: boolean): string[] {
  const rdns = client.rdns ? traceText(client.rdns, utf8) : 'unknown';
  const helo = client.helo ? traceText(client.helo, utf8) : rdns;
  const clauses = [`from ${helo} (${rdns} ${addressLiteral(client.ip)})`];
  if (client.tls && (client.tls.version || client.tls.cipher)) {
    const version = traceText(client.tls.version ?? 'TLS', false);
    clauses.push(
      client.tls.cipher
        ? `(using ${version} with cipher ${traceText(client.tls.cipher, false)})`
        : `(using ${version})`,
    );
  }
  return clauses;
}

/** The whole Received field line for `message` (folded when long), without a trailing CRLF. */
export function receivedHeader(message: QueuedMessage, hostname: string, now: Date): string {
  const utf8 = message.smtputf8 === true;
  const clauses = ['Received:'];
  if (message.client) clauses.push(...fromClauses(message.client, utf8));
  clauses.push(`by ${hostname} (mailtrail)`);
  const id = `id ${traceText(message.id, false)}`;
  clauses.push(message.client ? `with ${message.client.protocol} ${id}` : id);
  const recipients = message.envelope.recipients;
  if (recipients.length === 1) clauses.push(`for <${traceText(recipients[0]!, utf8)}>`);
  clauses[clauses.length - 1] += ';';
  clauses.push(formatRfc5322Date(now));
  return foldClauses(clauses);
}

export const addReceivedHeader: PrequeuePolicy = {
  name: 'addReceivedHeader',
  async apply(ctx: PolicyContext): Promise<PolicyEffect> {
    return { prependHeaders: [receivedHeader(ctx.message, ctx.hostname, ctx.now)] };
  },
};
