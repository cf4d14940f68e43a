/**
 * Reads a stored body back as a byte stream: `prepend` (the header lines added by queue
 * policies) first, then the body in 64 KiB chunks, optionally converted CRLF → LF.
 * The file is opened before anything is emitted, so a missing body fails the stream with
 * BodyMissingError (no half message with headers only); other read errors → SpoolIoError.
 * Destroying the returned stream early closes the file. The envelope stored before the body
 * (spooledEnvelope.ts) is skipped: readers see the body as received.
 */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { CrlfToLf } from './lineEndings.js';
import { readEnvelopePrefix } from './spooledEnvelope.js';
import { BodyMissingError, SpoolIoError } from './spoolErrors.js';

export const READ_CHUNK = 64 * 1024;

export interface OpenBodyOptions {
  /** Bytes emitted before the body, e.g. policy-added headers ("Received: …\r\n"). */
  prepend?: string | Buffer;
  /** 'crlf' (default): as stored. 'lf': CRLF → LF, prepend included. */
  lineEndings?: 'crlf' | 'lf';
}

async function* bodyChunks(path: string, ref: string, opts: OpenBodyOptions): AsyncGenerator<Buffer> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BodyMissingError(ref);
    throw new SpoolIoError('open', ref, err);
  }
  let start: number;
  try {
    start = (await readEnvelopePrefix(fh)).bodyOffset;
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw new SpoolIoError('read', ref, err);
  }
  const conv = opts.lineEndings === 'lf' ? new CrlfToLf() : undefined;
  const out = (b: Buffer): Buffer => (conv ? conv.push(b) : b);
  const stream = fh.createReadStream({ highWaterMark: READ_CHUNK, start }); // closes fh when done or destroyed
  try {
    if (opts.prepend !== undefined && opts.prepend.length > 0) {
      const p = out(typeof opts.prepend === 'string' ? Buffer.from(opts.prepend, 'utf8') : opts.prepend);
      if (p.length > 0) yield p;
    }
    try {
      for await (const chunk of stream) {
        const b = out(chunk as Buffer);
        if (b.length > 0) yield b;
      }
    } catch (err) {
      throw new SpoolIoError('read', ref, err);
    }
    const tail = conv?.flush();
    if (tail && tail.length > 0) yield tail;
  } finally {
    stream.destroy();
  }
}

export function openBody(path: string, ref: string, opts: OpenBodyOptions = {}): Readable {
  return Readable.from(bodyChunks(path, ref, opts), { objectMode: false, highWaterMark: READ_CHUNK });
}
