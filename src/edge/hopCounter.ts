/**
 * Counts the `Received:` headers of a message as its bytes stream past (Postfix's cleanup
 * counts them against hopcount_limit). Only the header block counts: it ends at the first
 * empty line, or at the first line that is neither a header field nor a continuation.
 * Chunks may split lines anywhere; only the start of each line is kept.
 */

/** Enough of a line to see a header name and its colon. */
const KEEP = 256;
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;
const RECEIVED = /^received[ \t]*:/i;

export class HopCounter {
  private inHeaders = true;
  private line = '';
  /** `Received:` headers seen so far. */
  count = 0;

  /** Feed the next chunk of the message. */
  push(chunk: Buffer): void {
    let start = 0;
    while (this.inHeaders) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.line.length < KEEP)
        this.line += chunk.toString('latin1', start, Math.min(end, start + KEEP - this.line.length));
      if (nl === -1) return;
      this.endLine();
      start = nl + 1;
    }
  }

  private endLine(): void {
    const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
    this.line = '';
    if (line === '') this.inHeaders = false;
    else if (line[0] === ' ' || line[0] === '\t') return;
    else if (!FIELD_NAME.test(line)) this.inHeaders = false;
    else if (RECEIVED.test(line)) this.count += 1;
  }
}
