/**
 * Inline bodies: a body no larger than the threshold (`spool.inlineThreshold`, 64 KiB by
 * default) is not written to a file at all. The spool keeps it in memory while it streams in
 * and hands the bytes back with its ref, "inline/<id>"; the queue appends them in the same
 * log transaction as the message's MessageReceived (the sqlite log's `bodies` table), so one
 * fsync makes body and event durable together — no body file, no file fsync, no directory
 * fsync. Reading goes through the InlineBodyStore port the log provides, so every reader of
 * `spool.open(ref)` (relays, policies, bounces) gets inline and file bodies alike.
 */
import { Readable } from 'node:stream';
import { assertBodyId, isValidBodyId } from './bodyId.js';
import { READ_CHUNK, type OpenBodyOptions } from './bodyReader.js';
import { CrlfToLf } from './lineEndings.js';
import { BodyMissingError, InvalidBodyIdError, SpoolIoError } from './spoolErrors.js';

export const INLINE_PREFIX = 'inline/';

/** The default largest body kept inline, in bytes. */
export const DEFAULT_INLINE_THRESHOLD = 64 * 1024;

/** Where inline bodies live once committed (the event log's store), as the spool needs it. */
export interface InlineBodyStore {
  /** Largest body kept inline, in bytes (0: none). */
  readonly threshold: number;
  /** The committed bytes, or undefined if there is no such body. */
  read(id: string): Buffer | undefined;
  /** Deletes a body; false if it was not there. */
  remove(id: string): boolean;
  /** Body `id` was just committed with these bytes (a store may keep them for the first reads). */
  remember?(id: string, bytes: Buffer): void;
}

export function isInlineRef(ref: string): boolean {
  return typeof ref === 'string' && ref.startsWith(INLINE_PREFIX);
}

export function inlineRefForId(id: string): string {
  return `${INLINE_PREFIX}${assertBodyId(id)}`;
}

export function idForInlineRef(ref: string): string {
  const id = ref.slice(INLINE_PREFIX.length);
  if (!isInlineRef(ref) || !isValidBodyId(id)) throw new InvalidBodyIdError('ref', String(ref));
  return id;
}

/** Reads an inline body from the store; BodyMissingError if absent, SpoolIoError if the read fails. */
export function readInline(store: InlineBodyStore, ref: string): Buffer {
  const id = idForInlineRef(ref);
  let bytes: Buffer | undefined;
  try {
    bytes = store.read(id);
  } catch (err) {
    throw new SpoolIoError('read', ref, err);
  }
  if (bytes === undefined) throw new BodyMissingError(ref);
  return bytes;
}

function* inlineChunks(bytes: Buffer, opts: OpenBodyOptions): Generator<Buffer> {
  const conv = opts.lineEndings === 'lf' ? new CrlfToLf() : undefined;
  const out = (b: Buffer): Buffer => (conv ? conv.push(b) : b);
  if (opts.prepend !== undefined && opts.prepend.length > 0) {
    const p = out(typeof opts.prepend === 'string' ? Buffer.from(opts.prepend, 'utf8') : opts.prepend);
    if (p.length > 0) yield p;
  }
  for (let at = 0; at < bytes.length; at += READ_CHUNK) {
    const b = out(bytes.subarray(at, at + READ_CHUNK));
    if (b.length > 0) yield b;
  }
  const tail = conv?.flush();
  if (tail && tail.length > 0) yield tail;
}

/**
 * The inline body as a byte stream, like openBody for a file: `prepend` first, optionally
 * CRLF → LF. The body is looked up when the stream is first read; a missing one fails the
 * stream with BodyMissingError before anything is emitted.
 */
export function openInlineBody(store: InlineBodyStore, ref: string, opts: OpenBodyOptions = {}): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    yield* inlineChunks(readInline(store, ref), opts);
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: READ_CHUNK });
}
