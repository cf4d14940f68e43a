/**
 * DATA: stream the message from smtp-server straight into `queue.enqueue()` and decide the
 * reply. `250 2.0.0 Ok: queued as <id>` only once enqueue resolved (body fsynced, MessageReceived
 * durable). The stream is watched on its way through: past `maxMessageSize` → 552 5.3.4, a bare
 * LF (an LF not preceded by CR: SMTP smuggling) → 550 5.5.2, `hopCountLimit` or more `Received:`
 * headers (a mail loop) → 554 5.4.6; each aborts the spool write,
 * which removes the partial body, so nothing is half-queued. A store failure → 451 4.3.0
 * (452 4.3.1 when the spool's or the event log's disk is full). The rest of a refused message is read and discarded, so the
 * conversation stays in step; the reply goes out after the client's final dot.
 */
import { PassThrough } from 'node:stream';
import type { Logger } from 'pino';
import type { SMTPServerDataStream } from 'smtp-server';
import type { EnqueueInput, Queue } from '../queue/queue.js';
import { MailtrailError } from '../errors/mailtrailError.js';
import { BodyTooLargeError, SpoolIoError } from '../spool/spoolErrors.js';
import { HopCounter } from './hopCounter.js';
import { type SmtpReply, replies } from './smtpReply.js';

export interface DataOutcome {
  readonly reply: SmtpReply;
  readonly messageId?: string;
  readonly size: number;
  /** The client went away before the final dot: nothing to reply, nothing queued. */
  readonly disconnected: boolean;
}

/** True if `chunk` holds an LF not preceded by CR (`prevCr`: the previous chunk ended in CR). */
export function hasBareLf(chunk: Buffer, prevCr: boolean): boolean {
  for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) {
    if (!(i === 0 ? prevCr : chunk[i - 1] === 0x0d)) return true;
  }
  return false;
}

/** The reply for a failed enqueue; unexpected errors are logged, never shown to the client. */
export function storeFailureReply(err: unknown, logger: Logger): SmtpReply {
  if (err instanceof BodyTooLargeError) return replies.messageTooBig(err.maxSize);
  if (err instanceof MailtrailError && err.enhancedStatus === '4.3.1') {
    logger.error({ err }, err instanceof SpoolIoError ? 'spool is full' : 'event log is full');
    return replies.storageFull();
  }
  logger.error({ err }, 'could not queue the message');
  return replies.storageFailed();
}

class RefusedBody extends Error {}

export function receiveMessage(args: {
  readonly stream: SMTPServerDataStream;
  readonly queue: Queue;
  readonly input: Omit<EnqueueInput, 'body'>;
  readonly maxMessageSize?: number;
  /** Refuse the message at this many `Received:` headers (Postfix hopcount_limit); 0: no limit. */
  readonly hopCountLimit?: number;
  readonly logger: Logger;
}): Promise<DataOutcome> {
  const { stream, queue, maxMessageSize, hopCountLimit, logger } = args;
  const hops = hopCountLimit ? new HopCounter() : undefined;
  const body = new PassThrough();
  // The spool sees a destroyed body through its iterator; without a listener an abort that
  // lands before the spool starts reading would be an uncaught 'error' event.
  body.on('error', () => {});
  let size = 0;
  let prevCr = false;
  let refusal: SmtpReply | undefined;
  let disconnected = false;

  const abort = (reply: SmtpReply | undefined, cause: Error): void => {
    if (!refusal && reply) refusal = reply;
    if (!body.destroyed) body.destroy(cause);
    stream.resume(); // read and discard the rest, so smtp-server sees the final dot
  };

  stream.on('data', (chunk: Buffer) => {
    if (refusal || disconnected) return;
    size += chunk.length;
    if (maxMessageSize !== undefined && size > maxMessageSize)
      return abort(replies.messageTooBig(maxMessageSize), new RefusedBody('too big'));
    if (hasBareLf(chunk, prevCr)) return abort(replies.bareLf(), new RefusedBody('bare LF'));
    if (hops && hopCountLimit) {
      hops.push(chunk);
      if (hops.count >= hopCountLimit) {
        logger.warn({ hops: hops.count, limit: hopCountLimit }, 'message refused: hopcount exceeded');
        return abort(replies.tooManyHops(), new RefusedBody('too many hops'));
      }
    }
    prevCr = chunk[chunk.length - 1] === 0x0d;
    if (!body.write(chunk)) {
      stream.pause();
      body.once('drain', () => stream.resume());
    }
  });
  stream.on('end', () => {
    if (!refusal && !disconnected) body.end();
  });
  stream.on('error', (err: Error) => {
    disconnected = true;
    abort(undefined, err);
  });

  return queue.enqueue({ ...args.input, body }).then(
    (messageId) => ({ reply: replies.queued(messageId), messageId, size, disconnected: false }),
    (err: unknown) => {
      const reply = refusal ?? (disconnected ? replies.storageFailed() : storeFailureReply(err, logger));
      abort(reply, err instanceof Error ? err : new Error(String(err)));
      return { reply, size, disconnected };
    },
  );
}
