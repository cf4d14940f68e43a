/**
 * Views of a message's machine context that relays, policies and bounces read: the
 * QueuedMessage (envelope, client, arrival), and the policy headers as the block prepended to
 * the body when it is read back.
 */
import type { MessageContext } from '../../machines/message.context.js';
import type { QueuedMessage } from '../mail/envelope.js';

export function headerBlockOf(headers: readonly string[]): string {
  return headers.length ? `${headers.join('\r\n')}\r\n` : '';
}

/** The message as the prequeue policies see it: only the recipients still pending (all, before any attempt). */
export function pendingMessageOf(ctx: MessageContext): QueuedMessage {
  const message = queuedMessageOf(ctx);
  return {
    ...message,
    envelope: {
      ...message.envelope,
      recipients: ctx.recipients.filter((r) => r.status === 'pending').map((r) => r.address),
    },
  };
}

export function queuedMessageOf(ctx: MessageContext): QueuedMessage {
  return {
    id: ctx.messageId,
    envelope: { sender: ctx.sender, recipients: ctx.recipients.map((r) => r.address) },
    ...(ctx.client ? { client: ctx.client } : {}),
    receivedAt: ctx.receivedAt,
    smtputf8: ctx.smtputf8,
    size: ctx.size,
  };
}
