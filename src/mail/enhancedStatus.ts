/**
 * RFC 3463 enhanced status codes (`class.subject.detail`, e.g. 5.7.1), read in one place: the
 * edge moves a code written at the start of a reply text into place, the SMTP/LMTP relays read
 * it from a remote reply, the DSN checks the statuses it reports. One pattern for all of them,
 * so the edge and the relays cannot disagree on what a code is. Pure: no imports.
 */

/** A whole enhanced status code: class 2, 4 or 5, then two numbers of 1 to 3 digits. */
export const ENHANCED_STATUS = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** An enhanced status code at the start of a text, then blanks (or the end) and the rest. */
export const LEADING_STATUS = /^([245]\.\d{1,3}\.\d{1,3})(?:[ \t]+|$)(.*)$/s;

export const isEnhancedStatus = (text: string): boolean => ENHANCED_STATUS.test(text);

/** A failure status as a DSN reports it: 4.x.x or 5.x.x. */
export const isFailureStatus = (text: string): boolean => ENHANCED_STATUS.test(text) && text[0] !== '2';

/**
 * `'5.7.1 <a> Not allowed'` → `{ status: '5.7.1', rest: '<a> Not allowed' }`; undefined when the
 * text does not start with a code. The numbers are given without leading zeros ('5.01.1' → '5.1.1').
 */
export function splitLeadingStatus(text: string): { readonly status: string; readonly rest: string } | undefined {
  const m = LEADING_STATUS.exec(text);
  if (!m) return undefined;
  const status = m[1]!
    .split('.')
    .map((n) => String(Number(n)))
    .join('.');
  return { status, rest: m[2] ?? '' };
}
