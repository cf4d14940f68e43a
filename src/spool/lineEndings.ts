/**
 * Streaming CRLF → LF conversion for local delivery (maildir, pipes that want Unix lines).
 * Every CR immediately followed by LF is dropped; a lone CR is kept. A CR at the end of a
 * chunk is held back until the next chunk (or flush) shows whether an LF follows, so a
 * CRLF split across two chunks converts like any other. Pure and synchronous: cannot fail.
 */
const CR = 0x0d;
const CRLF = Buffer.from('\r\n');
const LONE_CR = Buffer.from('\r');
const EMPTY = Buffer.alloc(0);

export class CrlfToLf {
  private heldCr = false;

  /** Converts one chunk; the result may be shorter, or empty. */
  push(chunk: Buffer): Buffer {
    let buf = chunk;
    if (this.heldCr) {
      buf = Buffer.concat([LONE_CR, chunk]);
      this.heldCr = false;
    }
    let end = buf.length;
    if (end > 0 && buf[end - 1] === CR) {
      this.heldCr = true;
      end--;
    }
    const body = buf.subarray(0, end);
    let at = body.indexOf(CRLF);
    if (at === -1) return body;
    const out = Buffer.allocUnsafe(end);
    let written = 0;
    let start = 0;
    while (at !== -1) {
      written += body.copy(out, written, start, at);
      start = at + 1; // keep the LF, drop the CR
      at = body.indexOf(CRLF, start);
    }
    written += body.copy(out, written, start, end);
    return out.subarray(0, written);
  }

  /** At end of input: a held CR had no LF after it, so it is emitted as is. */
  flush(): Buffer {
    if (!this.heldCr) return EMPTY;
    this.heldCr = false;
    return LONE_CR;
  }
}
