/**
 * Policy addMessageIdHeader: adds `Message-Id: <YYYYMMDDhhmmss.QUEUEID@hostname>` (the
 * form Postfix's cleanup uses) when the original has no Message-ID field. The id comes
 * only from the queued message (its receivedAt and id), never from randomness or the
 * clock, so a replay produces the same header. Queue-id characters outside [A-Za-z0-9_-]
 * are written as =XX (UTF-8 bytes, hex) to keep the id-left a valid dot-atom-text.
 */
import { InvariantError } from '../errors/mailtrailError.js';
import type { QueuedMessage } from '../mail/envelope.js';
import { hasHeader } from './headerBlock.js';
import type { PolicyContext, PolicyEffect, PrequeuePolicy } from './policy.js';

/** The queue id as dot-atom-text: unchanged when it is [A-Za-z0-9_-]+, otherwise =XX-escaped. */
export function messageIdLocalPart(queueId: string): string {
  let out = '';
  for (const byte of Buffer.from(queueId, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(ch) ? ch : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The Message-Id value this policy gives `message` on `hostname`, angle brackets included. */
export function messageIdFor(message: QueuedMessage, hostname: string): string {
  if (message.id === '') throw new InvariantError('addMessageIdHeader: the queued message has an empty id');
  const stamp = message.receivedAt.replace(/\D/g, '').slice(0, 14);
  const local = messageIdLocalPart(message.id);
  return `<${stamp.length === 14 ? `${stamp}.` : ''}${local}@${hostname}>`;
}

export const addMessageIdHeader: PrequeuePolicy = {
  name: 'addMessageIdHeader',
  async apply(ctx: PolicyContext): Promise<PolicyEffect> {
    if (hasHeader(await ctx.readHeaders(), 'message-id')) return {};
    return { prependHeaders: [`Message-Id: ${messageIdFor(ctx.message, ctx.hostname)}`] };
  },
};
