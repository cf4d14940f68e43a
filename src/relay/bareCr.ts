/**
 * Bare CR normalisation for content that leaves over SMTP or LMTP: the edge refuses bare LF
 * but lets a bare CR (a CR not followed by LF) into the spool, and another server may read it
 * as a line end (SMTP smuggling with `<CR>.<CR>`) or refuse the message. Each bare CR becomes
 * CRLF, so the receiving side and nodemailer's dot-stuffing see ordinary lines. A CR at the
 * end of a chunk waits for the next chunk. `normaliseBareCr` wraps a content stream.
 */
import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;

export class BareCrToCrlf extends Transform {
  private heldCr = false;

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    done(null, this.convert(buf, false));
  }

  override _flush(done: TransformCallback): void {
    done(null, this.heldCr ? Buffer.from('\r\n') : undefined);
    this.heldCr = false;
  }

  /** Converts one chunk; `final` when no more data follows. */
  convert(chunk: Buffer, final: boolean): Buffer {
    let from = 0;
    const parts: Buffer[] = [];
    if (this.heldCr) {
      parts.push(Buffer.from(chunk[0] === LF ? '\r' : '\r\n'));
      this.heldCr = false;
    }
    for (let i = chunk.indexOf(CR); i !== -1; i = chunk.indexOf(CR, i + 1)) {
      if (i === chunk.length - 1 && !final) {
        parts.push(chunk.subarray(from, i));
        this.heldCr = true;
        from = chunk.length;
        break;
      }
      if (chunk[i + 1] !== LF) {
        parts.push(chunk.subarray(from, i + 1), Buffer.from('\n'));
        from = i + 1;
      }
    }
    parts.push(chunk.subarray(from));
    return Buffer.concat(parts);
  }
}

/** The content with every bare CR turned into CRLF; errors of the source pass through. */
export function normaliseBareCr(content: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const out = new BareCrToCrlf();
  content.on('error', (err: Error) => out.destroy(err));
  return content.pipe(out);
}
