/**
 * Builds a non-delivery report (RFC 3464 in an RFC 6522 multipart/report): a Postfix-like
 * human-readable part, the delivery-status part (deliveryStatus.ts) and the original
 * headers. An SMTPUTF8 message gets RFC 6533's message/global-delivery-status and
 * message/global-headers (report-type=global-delivery-status) and UTF-8 text.
 * Pure and deterministic: times come in, the boundary is a hash of the ids, so the same
 * input gives the same bytes. Output is CRLF; the envelope is <> → the original sender.
 * Throws InvariantError for a null-sender message: a bounce is never bounced.
 */
import { createHash } from 'node:crypto';
import { InvariantError } from '../errors/mailtrailError.js';
import { foldHeader } from '../mail/foldHeader.js';
import { formatRfc5322Date } from '../mail/rfc5322Date.js';
import type { Envelope, QueuedMessage } from '../mail/envelope.js';
import { deliveryStatusFields, fieldText, type FailedRecipient } from './deliveryStatus.js';

export interface DsnInput {
  /** This host's name: Reporting-MTA, From: MAILER-DAEMON@…, the Message-Id domain if none. */
  readonly reportingMta: string;
  readonly message: QueuedMessage;
  readonly arrivalDate: Date;
  readonly failed: ReadonlyArray<FailedRecipient>;
  /** The original message's header block as received (CRLF or LF). */
  readonly originalHeaders: string;
  /** `<id@host>`, `id@host` or a bare id (then @reportingMta is added). */
  readonly dsnMessageId: string;
  readonly now: Date;
}

export interface Dsn {
  readonly envelope: Envelope;
  readonly content: Buffer;
}

const isAscii = (text: string) => /^[\x00-\x7f]*$/.test(text);

/** The boundary: a hash of the ids, lengthened in the (unlikely) case a part contains it. */
function boundaryFor(input: DsnInput, parts: readonly string[]): string {
  const hash = createHash('sha256').update(`${input.message.id}\0${input.dsnMessageId}`).digest('hex').slice(0, 32);
  for (let n = 0; ; n++) {
    const boundary = `=_mailtrail-dsn.${hash}${n === 0 ? '' : `.${n}`}`;
    if (!parts.some((part) => part.includes(boundary))) return boundary;
  }
}

function messageId(input: DsnInput): string {
  const id = input.dsnMessageId.replace(/^<|>$/g, '');
  if (id === '' || /[\s<>\p{Cc}]/u.test(id))
    throw new InvariantError(`buildDsn: bad dsnMessageId "${input.dsnMessageId}"`);
  return `<${id.includes('@') ? id : `${id}@${input.reportingMta}`}>`;
}

function humanText(input: DsnInput, utf8: boolean): string {
  const lines = [
    `This is the mail system at host ${fieldText(input.reportingMta, false)}.`,
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients. Its headers are attached below.',
    '',
    'For further assistance, please send mail to postmaster.',
    '',
    'If you do so, please include this problem report. You can',
    'delete your own text from the attached returned message.',
    '',
    '                   The mail system',
  ];
  for (const rcpt of input.failed) {
    const line = `<${fieldText(rcpt.recipient, utf8)}>: ${fieldText(rcpt.diagnostic, utf8)}`;
    lines.push('', foldHeader(line, 76).replace(/\r\n\t/g, '\r\n    '));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The original header block, CRLF, without the empty line that ended it. */
function headerBlock(originalHeaders: string): string {
  const block = originalHeaders
    .replace(/\r?\n/g, '\r\n')
    .split(/\r\n\r\n/)[0]!
    .replace(/(\r\n)+$/, '');
  return block === '' ? '' : `${block}\r\n`;
}

export function buildDsn(input: DsnInput): Dsn {
  const sender = input.message.envelope.sender;
  if (sender === '')
    throw new InvariantError(`buildDsn: message ${input.message.id} has the null sender; a bounce is never bounced`);
  const global = input.message.smtputf8 === true;
  const text = humanText(input, global);
  const status = deliveryStatusFields({
    reportingMta: input.reportingMta,
    queueId: input.message.id,
    arrivalDate: input.arrivalDate,
    failed: input.failed,
    global,
  });
  const headers = headerBlock(input.originalHeaders);
  const cte = (body: string) => (isAscii(body) ? '7bit' : '8bit');
  const boundary = boundaryFor(input, [text, status, headers]);
  const reportType = global ? 'global-delivery-status' : 'delivery-status';

  const part = (description: string, type: string, body: string) =>
    `--${boundary}\r\nContent-Description: ${description}\r\nContent-Type: ${type}\r\n` +
    `Content-Transfer-Encoding: ${cte(body)}\r\n\r\n${body}`;
  const body = [
    'This is a MIME-encapsulated message.\r\n\r\n',
    part('Notification', `text/plain; charset=${isAscii(text) ? 'us-ascii' : 'utf-8'}`, text),
    '\r\n',
    part('Delivery report', `message/${reportType}`, status),
    '\r\n',
    part('Undelivered Message Headers', global ? 'message/global-headers' : 'text/rfc822-headers', headers),
    `\r\n--${boundary}--\r\n`,
  ].join('');

  const to = fieldText(sender, global);
  const head = [
    `From: MAILER-DAEMON@${input.reportingMta} (Mail Delivery System)`,
    `To: ${to}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${formatRfc5322Date(input.now)}`,
    `Message-Id: ${messageId(input)}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=${reportType};\r\n\tboundary="${boundary}"`,
    `Content-Transfer-Encoding: ${cte(body)}`,
  ];
  return {
    envelope: { sender: '', recipients: [sender] },
    content: Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`, 'utf8'),
  };
}
