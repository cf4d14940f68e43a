/**
 * Reads the original header block of a spooled body (up to the first empty line), for the
 * policies that only add a header when it is missing. Reads at most maxBytes; never the body.
 */
import type { Readable } from 'node:stream';

export async function readHeaderBlock(stream: Readable, maxBytes = 256 * 1024): Promise<string> {
  let text = '';
  try {
    for await (const chunk of stream) {
      text += (chunk as Buffer).toString('latin1');
      const end = text.search(/\r?\n\r?\n/);
      if (end >= 0) return text.slice(0, end + 1);
      if (text.length >= maxBytes) return text.slice(0, maxBytes);
    }
    return text;
  } finally {
    stream.destroy();
  }
}

