/**
 * The original header block of a message (up to the first empty line), for the policies that
 * only add a header when it is missing and for the subject kept for search. HeaderBlockCapture
 * takes it from the chunks as they stream past (the spool keeps it while storing a body, so the
 * queue need not read the file back); readHeaderBlock reads it from a stream. Bytes are kept as
 * latin1, one character per byte; neither ever holds more than maxBytes.
 */
import type { Readable } from 'node:stream';

export const HEADER_BLOCK_MAX = 256 * 1024;

export class HeaderBlockCapture {
  private text = '';
  private result: string | undefined;

  constructor(private readonly maxBytes = HEADER_BLOCK_MAX) {}

  /** Feeds the next chunk; true once the block is complete (more chunks are ignored). */
  push(chunk: Buffer): boolean {
    if (this.result !== undefined) return true;
    this.text += chunk.toString('latin1', 0, Math.min(chunk.length, this.maxBytes - this.text.length + 4));
    // The block ends with its last field's line ending (CRLF or LF), before the empty line.
    const end = this.text.search(/\r?\n\r?\n/);
    if (end >= 0) this.result = this.text.slice(0, end + (this.text[end] === '\r' ? 2 : 1));
    else if (this.text.length >= this.maxBytes) this.result = this.text.slice(0, this.maxBytes);
    return this.result !== undefined;
  }

  /** The block: complete, cut at maxBytes, or the whole message when it has no empty line. */
  get block(): string {
    return this.result ?? this.text;
  }
}

export async function readHeaderBlock(stream: Readable, maxBytes = HEADER_BLOCK_MAX): Promise<string> {
  const capture = new HeaderBlockCapture(maxBytes);
  try {
    for await (const chunk of stream) if (capture.push(chunk as Buffer)) break;
    return capture.block;
  } finally {
    stream.destroy();
  }
}
