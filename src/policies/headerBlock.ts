/**
 * Reading a message's header block for policies: which fields it has. Field names are
 * compared case-insensitively; folded continuation lines (starting with SP or TAB) belong
 * to the field above and never count as fields of their own; CRLF and LF are both
 * accepted; reading stops at the first empty line (the end of the header block). The
 * obsolete "Name : value" (RFC 5322 §4.5.3, WSP before the colon) is recognized.
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
