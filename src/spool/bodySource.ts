/**
 * Reading a body as it arrives, whatever shape the caller hands it in (a Readable, an async or
 * plain iterable of chunks): as Buffers, by the stream's events rather than `for await`.
 */
import { finished, type Readable } from 'node:stream';

export type BodySource =
  | AsyncIterable<Buffer | Uint8Array | string>
  | Iterable<Buffer | Uint8Array | string>
  | NodeJS.ReadableStream;

export function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Reads a stream by its events until it ends, or until it has passed `limit` bytes (then it is
 * left paused, ready to be iterated on). Not `for await`: leaving a stream's async iterator,
 * even at its end, may make Node build an AbortError with its stack trace, once per message.
 */
export function collect(stream: Readable, limit: number): Promise<{ chunks: Buffer[]; size: number; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string): void => {
      const buf = toBuffer(chunk);
      chunks.push(buf);
      size += buf.length;
      if (size > limit) {
        stream.pause();
        detach();
        resolve({ chunks, size, ended: false });
      }
    };
    const stop = finished(stream, { writable: false }, (err) => {
      detach();
      if (err) reject(err);
      else resolve({ chunks, size, ended: true });
    });
    const detach = (): void => {
      stream.off('data', onData);
      stop();
    };
    stream.on('data', onData);
  });
}

/** An async iterator over any BodySource. */
export function iterate(body: BodySource): AsyncIterator<Buffer | Uint8Array | string> {
  const source = body as Partial<AsyncIterable<Buffer | Uint8Array | string>> &
    Partial<Iterable<Buffer | Uint8Array | string>>;
  if (source[Symbol.asyncIterator]) return source[Symbol.asyncIterator]!();
  const sync = source[Symbol.iterator]!();
  return { next: async () => sync.next(), return: async () => sync.return?.() ?? { done: true, value: undefined } };
}

/** The chunks already read, then the rest of the iterator. */
export async function* resume(
  first: Buffer[],
  rest: AsyncIterator<Buffer | Uint8Array | string>,
): AsyncGenerator<Buffer | Uint8Array | string> {
  yield* first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
