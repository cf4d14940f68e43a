/**
 * The envelope kept in each body file, as Postfix keeps it in the queue file: a short first
 * line `\0mailtrail-envelope 1 <n> <size>\n` followed by <n> bytes of JSON (sender, recipients,
 * time received, client), then the body exactly as received. It is written in the same
 * write(2) as the body's first bytes and covered by the same fsync: no extra fsync per message.
 * <size> is 16 '?' until the whole body is written, then the body's size (one pwrite before
 * the fsync), so a body cut short by a crash mid-DATA is told apart from a complete one. It lets start-up
 * quarantine a body the log does not know *with* its envelope, and lets `mailtrail requeue`
 * put such a body (or a whole spool whose log was lost) back in the queue. A file that does
 * not start with the marker (written by an earlier version) has no envelope and a body from
 * byte 0. Readers (bodyReader, Spool.verify) skip the prefix; size and sha256 are the body's.
 */
import type { FileHandle } from 'node:fs/promises';

export interface SpooledEnvelope {
  /** '' for the null sender <>. */
  readonly sender: string;
  readonly recipients: readonly string[];
  /** ISO time the message was received. */
  readonly at: string;
  readonly sessionId?: string;
  readonly client?: Readonly<Record<string, unknown>>;
  readonly smtputf8?: boolean;
  readonly origin?: string;
  readonly parentId?: string;
  readonly policiesFrom?: number;
}

const MARKER = '\0mailtrail-envelope 1 ';
const SIZE_WIDTH = 16;
const UNKNOWN_SIZE = '?'.repeat(SIZE_WIDTH);
/** The marker line is at most this long (the marker, up to 10 digits, the size, the newline). */
const MAX_LINE = MARKER.length + 10 + 1 + SIZE_WIDTH + 1;

export interface EncodedEnvelope {
  /** The bytes to write before the body. */
  readonly prefix: Buffer;
  /** Where the size field is: write `sizeField(size)` there once the body is complete. */
  readonly sizeOffset: number;
}

export function encodeEnvelope(envelope: SpooledEnvelope): EncodedEnvelope {
  const json = Buffer.from(JSON.stringify(envelope), 'utf8');
  const head = `${MARKER}${json.length} `;
  return { prefix: Buffer.concat([Buffer.from(`${head}${UNKNOWN_SIZE}\n`, 'latin1'), json]), sizeOffset: head.length };
}

export function sizeField(size: number): Buffer {
  return Buffer.from(String(size).padStart(SIZE_WIDTH, '0'), 'latin1');
}

export interface EnvelopePrefix {
  /** Where the body starts in the file (0: no envelope). */
  readonly bodyOffset: number;
  readonly envelope?: SpooledEnvelope;
  /** With the envelope: false when the body was cut short (its size never recorded, or wrong). */
  readonly complete?: boolean;
}

/** Reads the prefix of an open body file; a file without the marker has none (offset 0). */
export async function readEnvelopePrefix(fh: FileHandle, withEnvelope = false): Promise<EnvelopePrefix> {
  const head = Buffer.alloc(MAX_LINE);
  const { bytesRead } = await fh.read(head, 0, MAX_LINE, 0);
  const line = head.subarray(0, bytesRead).toString('latin1');
  // An empty file: created, then a crash before its first write.
  if (bytesRead === 0) return { bodyOffset: 0, complete: false };
  if (!line.startsWith(MARKER)) return { bodyOffset: 0 };
  const nl = line.indexOf('\n');
  const [lengthField, size] = line.slice(MARKER.length, nl).split(' ');
  const length = Number(lengthField);
  if (nl < 0 || lengthField === '' || !Number.isSafeInteger(length) || length < 0) return { bodyOffset: 0 };
  const bodyOffset = nl + 1 + length;
  if (!withEnvelope) return { bodyOffset };
  const complete = size !== undefined && /^[0-9]+$/.test(size) && Number(size) === (await fh.stat()).size - bodyOffset;
  const json = Buffer.alloc(length);
  const read = await fh.read(json, 0, length, nl + 1);
  try {
    const envelope = JSON.parse(json.subarray(0, read.bytesRead).toString('utf8')) as SpooledEnvelope;
    if (typeof envelope?.sender !== 'string' || !Array.isArray(envelope.recipients)) return { bodyOffset, complete };
    return { bodyOffset, envelope, complete };
  } catch {
    return { bodyOffset, complete };
  }
}
