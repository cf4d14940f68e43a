/**
 * Reading a message's header block for policies: which fields it has. Field names are
 * compared case-insensitively; folded continuation lines (starting with SP or TAB) belong
 * to the field above and never count as fields of their own; CRLF and LF are both
 * accepted; reading stops at the first empty line (the end of the header block). The
 * obsolete "Name : value" (RFC 5322 §4.5.3, WSP before the colon) is recognized.
 * A message whose first line is neither a field nor empty has no header block at all: headers
 * prepended to it need an empty line after them (`needsSeparator`), as Postfix's cleanup adds.
 */

const FIELD = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/** The field names of the block, lowercased, in order of appearance. */
export function headerNames(block: string): string[] {
  const names: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '') break;
    if (line.startsWith(' ') || line.startsWith('\t')) continue;
    const match = FIELD.exec(line);
    if (match) names.push(match[1]!.toLowerCase());
  }
  return names;
}

/** Whether the block has at least one field called `name` (any case). */
export function hasHeader(block: string, name: string): boolean {
  return headerNames(block).includes(name.toLowerCase());
}

/**
 * True when the message (its first bytes, as read from the spool) starts with a body line
 * instead of a header field or the empty line that ends an empty header block: prepended
 * headers must then be followed by an empty line, or the body's first line would be taken
 * for a header (or end the header block in the middle of the trace fields).
 */
export function needsSeparator(message: string): boolean {
  const first = /^[^\r\n]*/.exec(message)?.[0] ?? '';
  if (message === '') return false;
  return first === '' ? false : !FIELD.test(first);
}
