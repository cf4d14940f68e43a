/**
 * SMTP/LMTP replies → RFC 3463 statuses, as Postfix's smtp_trouble.c reads them: the
 * enhanced code in the reply when present (and its class agrees with the basic code),
 * else one derived from the basic code (2xx → 2.0.0, 4xx → 4.0.0, 5xx → 5.0.0).
 * Failures without a reply: a timeout 4.4.2, any other connection failure 4.4.1, a DNS
 * lookup failure 4.4.3. The first digit decides: 2 delivered, 4 transient, 5 permanent.
 */
import { splitLeadingStatus } from '../mail/enhancedStatus.js';
import type { RecipientResult } from './relay.js';

export type Outcome = RecipientResult['outcome'];
export type StatusOutcome = { outcome: Outcome; status: string };

export interface ParsedReply {
  /** The basic reply code, e.g. 550. */
  readonly code: number;
  /** The enhanced status code of the reply, e.g. "5.1.1", when it carries one. */
  readonly enhanced?: string;
  /** The reply on one line: the lines of a multi-line reply joined by a space. */
  readonly text: string;
}

export const CONNECTION_FAILED_STATUS = '4.4.1';
export const CONNECTION_TIMEOUT_STATUS = '4.4.2';
export const DNS_FAILED_STATUS = '4.4.3';

const REPLY_LINE = /^(\d{3})[ -]?(.*)$/;

/** Parses a server reply ("550-5.1.1 ...\n550 5.1.1 ..."); undefined when it has no code. */
export function parseReply(reply: string): ParsedReply | undefined {
  const lines = reply.split(/\r?\n/).filter((line) => line.trim() !== '');
  const first = REPLY_LINE.exec(lines[0] ?? '');
  if (!first) return undefined;
  const code = Number(first[1]);
  const enhanced = splitLeadingStatus(first[2] ?? '')?.status;
  const text = lines
    .map((line) => line.trim())
    .join(' ')
    .replace(/\p{Cc}/gu, ' ');
  if (enhanced && enhanced[0] === String(code)[0]) {
    return { code, enhanced, text };
  }
  return { code, text };
}

/** The outcome a status means: 2.x.x delivered, 5.x.x permanent, anything else transient. */
export function outcomeOf(status: string): Outcome {
  if (status.startsWith('2')) return 'delivered';
  return status.startsWith('5') ? 'permanent' : 'transient';
}

/**
 * The status of a server reply. A reply that is not an SMTP reply at all (no code, or a
 * 1xx/3xx where a final reply was due) is a protocol error, deferred as 4.5.0.
 */
export function replyStatus(reply: string): StatusOutcome {
  const parsed = parseReply(reply);
  if (!parsed) return { outcome: 'transient', status: '4.5.0' };
  const klass = Math.floor(parsed.code / 100);
  if (klass !== 2 && klass !== 4 && klass !== 5) return { outcome: 'transient', status: '4.5.0' };
  const status = parsed.enhanced ?? `${klass}.0.0`;
  return { outcome: outcomeOf(status), status };
}

/** A RecipientResult for a recipient answered by `reply`. */
export function resultFromReply(recipient: string, reply: string): RecipientResult {
  const { outcome, status } = replyStatus(reply);
  return { recipient, outcome, status, reply: parseReply(reply)?.text ?? oneLine(reply) };
}

/**
 * The status of a failure that carries no reply: a timeout 4.4.2, a failed name lookup of
 * a static next hop (nodemailer's EDNS) 4.4.3, else 4.4.1.
 */
export function connectionFailureStatus(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'EDNS') return DNS_FAILED_STATUS;
  return code === 'ETIMEDOUT' || code === 'ETIMEOUT' ? CONNECTION_TIMEOUT_STATUS : CONNECTION_FAILED_STATUS;
}

/** Text on one line, control characters removed, for a RecipientResult's reply. */
export function oneLine(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/\p{Cc}/gu, ' ')
    .trim();
}
