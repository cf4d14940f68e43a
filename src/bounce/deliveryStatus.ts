/**
 * The machine-readable part of a DSN: RFC 3464 per-message fields (Reporting-MTA,
 * Arrival-Date) and per-recipient fields (Final-Recipient, Action, Status, Remote-MTA,
 * Diagnostic-Code), CRLF lines, blocks separated by an empty line. With `global` (RFC 6533
 * message/global-delivery-status) UTF-8 may appear; otherwise every field is ASCII: a
 * non-ASCII address becomes `utf-8; <utf-8-addr-xtext>`, other non-ASCII text '?'.
 * Multi-line diagnostics are joined into one line and folded. Bad input: InvariantError.
 */
import { InvariantError } from '../errors/mailtrailError.js';
import { isFailureStatus } from '../mail/enhancedStatus.js';
import { foldHeader } from '../mail/foldHeader.js';
import { formatRfc5322Date } from '../mail/rfc5322Date.js';

export interface FailedRecipient {
  readonly recipient: string;
  /** RFC 3463, 5.x.x (or 4.x.x for mail that expired while deferred). */
  readonly status: string;
  /** The remote reply text or the local reason. */
  readonly diagnostic: string;
  readonly action?: 'failed';
  /** The diagnostic-type of Diagnostic-Code; 'smtp' unless given (e.g. 'X-mailtrail'). */
  readonly diagnosticType?: string;
  /** The host that gave the reply, for Remote-MTA: dns; <host>. */
  readonly remoteMta?: string;
}

export interface DeliveryStatusInput {
  readonly reportingMta: string;
  readonly queueId: string;
  readonly arrivalDate: Date;
  readonly failed: readonly FailedRecipient[];
  readonly global: boolean;
}

const isAscii = (text: string) => /^[\x00-\x7f]*$/.test(text);

/** One line of text with no controls; non-ASCII as '?' unless `utf8`. */
export function fieldText(text: string, utf8: boolean): string {
  const line = text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/\p{Cc}/gu, ' ')
    .trim();
  return utf8 ? line : line.replace(/[^\x20-\x7e]/g, '?');
}

/**
 * RFC 6533 utf-8-addr-xtext (`unitext` false: ASCII only) or utf-8-addr-unitext: '+', '=',
 * '\', controls and space always as \x{HEX}; other non-ASCII too unless unitext.
 */
export function utf8AddrText(address: string, unitext: boolean): string {
  let out = '';
  for (const ch of address) {
    const code = ch.codePointAt(0)!;
    const plain = code > 0x7f ? unitext : code >= 0x21 && code <= 0x7e && ch !== '+' && ch !== '=' && ch !== '\\';
    out += plain ? ch : `\\x{${code.toString(16).toUpperCase()}}`;
  }
  return out;
}

/** `rfc822; addr` for an ASCII address, `utf-8; ...` (xtext or, when global, unitext) otherwise. */
export function addressValue(address: string, global: boolean): string {
  if (isAscii(address) && !/\p{Cc}/u.test(address)) return `rfc822; ${address}`;
  return `utf-8; ${utf8AddrText(address, global)}`;
}

export function deliveryStatusFields(input: DeliveryStatusInput): string {
  if (input.failed.length === 0) throw new InvariantError('buildDsn: no failed recipients to report');
  const field = (line: string) => `${foldHeader(line)}\r\n`;
  let out = field(`Reporting-MTA: dns; ${fieldText(input.reportingMta, false)}`);
  out += field(`X-Mailtrail-Queue-ID: ${fieldText(input.queueId, false)}`);
  out += field(`Arrival-Date: ${formatRfc5322Date(input.arrivalDate)}`);
  for (const rcpt of input.failed) {
    if (!isFailureStatus(rcpt.status))
      throw new InvariantError(`buildDsn: status "${rcpt.status}" of <${rcpt.recipient}> is not 4.x.x or 5.x.x`);
    const type = rcpt.diagnosticType ?? 'smtp';
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(type)) throw new InvariantError(`buildDsn: bad diagnostic-type "${type}"`);
    out += '\r\n';
    out += field(`Final-Recipient: ${addressValue(rcpt.recipient, input.global)}`);
    out += field(`Action: ${rcpt.action ?? 'failed'}`);
    out += field(`Status: ${rcpt.status}`);
    if (rcpt.remoteMta) out += field(`Remote-MTA: dns; ${fieldText(rcpt.remoteMta, false)}`);
    out += field(`Diagnostic-Code: ${type}; ${fieldText(rcpt.diagnostic, input.global)}`);
  }
  return out;
}
