/**
 * The Subject and Message-Id of a spooled message, read from the header block of its body
 * file only (at most 64 KiB, never the body), for `mailtrail search`: the events do not carry
 * the subject, so the search reads it lazily for the rows its index already selected.
 * Folded lines are unfolded and RFC 2047 encoded-words decoded (B and Q; utf-8, latin1 …).
 * A body gone from the spool (after retention) gives undefined.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { readHeaderBlock } from '../mail/headerBlock.js';
import { headerValue } from '../mail/headerFields.js';

export { decodeEncodedWords, headerValue } from '../mail/headerFields.js';

export interface MessageHeaders {
  readonly subject: string | null;
  readonly messageId: string | null;
}

const HEADER_BYTES = 64 * 1024;

export async function readMessageHeaders(body: string | Buffer): Promise<MessageHeaders | undefined> {
  let block: string;
  try {
    // A path of a body file, or the bytes of an inline body.
    const source =
      typeof body === 'string'
        ? createReadStream(body, { end: HEADER_BYTES - 1 })
        : Readable.from([body.subarray(0, HEADER_BYTES)]);
    block = await readHeaderBlock(source, HEADER_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // readHeaderBlock decodes latin1; re-read as UTF-8 for 8-bit (SMTPUTF8) headers.
  const text = Buffer.from(block, 'latin1').toString('utf8');
  return { subject: headerValue(text, 'subject'), messageId: headerValue(text, 'message-id') };
}
