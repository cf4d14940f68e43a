/**
 * Reading one field of a message's header block: unfolded, RFC 2047 encoded-words decoded
 * (B and Q; utf-8, latin1 …; whitespace between two encoded words dropped). Used when a
 * message is queued (its Subject and Message-Id are recorded for search) and by the CLI.
 */

function decodeWord(charset: string, encoding: string, text: string): string {
  let bytes: Buffer;
  if (encoding.toUpperCase() === 'B') bytes = Buffer.from(text, 'base64');
  else
    bytes = Buffer.from(
      text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    );
  try {
    return new TextDecoder(charset.replace(/\*.*$/, '')).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, enc: string, text: string) =>
      decodeWord(charset, enc, text),
    );
}

/** The first value of `name` in a header block (case-insensitive), unfolded and decoded; null if absent. */
export function headerValue(block: string, name: string): string | null {
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  const prefix = `${name.toLowerCase()}:`;
  for (const line of unfolded.split(/\r?\n/)) {
    if (line.toLowerCase().startsWith(prefix))
      return decodeEncodedWords(line.slice(prefix.length).trim()).slice(0, 998);
  }
  return null;
}
