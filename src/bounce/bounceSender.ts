/**
 * Sends the DSN for a message that ended with failed recipients: builds the RFC 3464 report
 * (dsn.ts) and enqueues it as a new message from <> to the original sender, through the same
 * queue. Its id is derived from the parent's, so running this twice (a crash between the
 * final event and the DSN) finds the DSN already queued and does nothing.
 */
import type { MessageContext } from '../../machines/message.context.js';
import { ExpectedRevisionConflictError } from '../eventlog/eventLog.js';
import type { Logger } from '../logging/logger.js';
import { readHeaderBlock } from '../mail/headerBlock.js';
import type { BounceQueue } from '../queue/queueOptions.js';
import { headerBlockOf, queuedMessageOf } from '../queue/queuedMessage.js';
import { dsnIdFor } from '../mail/queueId.js';
import { BodyExistsError } from '../spool/spoolErrors.js';
import { buildDsn } from './dsn.js';

export function createBounceSender(options: { hostname: string; logger?: Logger; now?: () => number }) {
  const now = options.now ?? Date.now;
  return async function sendBounce(ctx: MessageContext, queue: BounceQueue): Promise<void> {
    if (ctx.sender === '') return; // never bounce a bounce
    const failed = ctx.recipients
      .filter((r) => r.status === 'failed')
      .map((r) => ({ recipient: r.address, status: r.dsn ?? '5.0.0', diagnostic: r.reply ?? 'delivery failed' }));
    if (failed.length === 0) return;
    const originalHeaders = await readHeaderBlock(queue.openBody(ctx.bodyRef, { prepend: headerBlockOf(ctx.headers) }));
    const id = dsnIdFor(ctx.messageId);
    const dsn = buildDsn({
      reportingMta: options.hostname,
      message: queuedMessageOf(ctx),
      arrivalDate: new Date(ctx.receivedAt),
      failed,
      originalHeaders,
      dsnMessageId: id,
      now: new Date(now()),
    });
    try {
      await queue.enqueue({
        id,
        envelope: dsn.envelope,
        body: [dsn.content],
        origin: 'dsn',
        parentId: ctx.messageId,
        smtputf8: ctx.smtputf8,
      });
      options.logger?.info({ messageId: ctx.messageId, dsn: id }, `sender non-delivery notification: ${id}`);
    } catch (err) {
      if (err instanceof ExpectedRevisionConflictError || err instanceof BodyExistsError) return;
      throw err;
    }
  };
}
