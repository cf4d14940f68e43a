/**
 * A stored message read back for operators: its raw header section and a summary parsed by
 * mailparser (from, to, cc, subject, date, message-id, body parts, attachments with their
 * size). Pure apart from mailparser; used by `mailtrail show`.
 */
import { simpleParser, type AddressObject } from 'mailparser';

export interface PartSummary {
  readonly contentType: string;
  readonly size: number;
  readonly filename?: string;
  readonly disposition?: string;
}

export interface MailSummary {
  readonly from?: string;
  readonly to?: string;
  readonly cc?: string;
  readonly subject?: string;
  readonly date?: string;
  readonly messageId?: string;
  /** The readable bodies (text/plain, text/html). */
  readonly parts: readonly PartSummary[];
  readonly attachments: readonly PartSummary[];
}

/** The header section (up to the first empty line), unfolded lines kept as they are. */
export function headerSection(message: Buffer): string {
  const text = message.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  return (end < 0 ? text : text.slice(0, end)).replace(/\r\n/g, '\n');
}

const addresses = (a: AddressObject | AddressObject[] | undefined): string | undefined =>
  a === undefined ? undefined : (Array.isArray(a) ? a : [a]).map((x) => x.text).join(', ');

export async function summarizeMail(message: Buffer): Promise<MailSummary> {
  const parsed = await simpleParser(message, { skipTextToHtml: true, skipImageLinks: true });
  const parts: PartSummary[] = [];
  if (typeof parsed.text === 'string') parts.push({ contentType: 'text/plain', size: Buffer.byteLength(parsed.text) });
  if (typeof parsed.html === 'string') parts.push({ contentType: 'text/html', size: Buffer.byteLength(parsed.html) });
  const attachments = parsed.attachments.map((a) => ({
    contentType: a.contentType,
    size: a.size,
    ...(a.filename ? { filename: a.filename } : {}),
    ...(a.contentDisposition ? { disposition: a.contentDisposition } : {}),
  }));
  const from = addresses(parsed.from);
  const to = addresses(parsed.to);
  const cc = addresses(parsed.cc);
  return {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(cc ? { cc } : {}),
    ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
    ...(parsed.date ? { date: parsed.date.toISOString() } : {}),
    ...(parsed.messageId ? { messageId: parsed.messageId } : {}),
    parts,
    attachments,
  };
}

export function formatMailSummary(s: MailSummary): string {
  const row = (label: string, value: string | undefined): string =>
    value === undefined ? '' : `  ${label.padEnd(12)} ${value}\n`;
  const part = (p: PartSummary): string =>
    `${p.filename ? `${p.filename} ` : ''}${p.contentType}, ${p.size} bytes${p.disposition && p.disposition !== 'attachment' ? ` (${p.disposition})` : ''}`;
  let out =
    row('from:', s.from) +
    row('to:', s.to) +
    row('cc:', s.cc) +
    row('subject:', s.subject) +
    row('date:', s.date) +
    row('message-id:', s.messageId);
  out += row('parts:', s.parts.length ? s.parts.map(part).join('; ') : '(none)');
  out +=
    s.attachments.length === 0
      ? row('attachments:', 'none')
      : s.attachments.map((a, i) => row(i === 0 ? 'attachments:' : '', part(a))).join('');
  return out;
}
