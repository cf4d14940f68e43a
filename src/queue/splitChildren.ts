/**
 * A split's children: one message per recipient group, with the parent's headers so far baked
 * into its body and the policies after the splitting one still to run. Ids are derived from
 * the parent's, so a split repeated after a crash finds its children already queued (the
 * parent records MessageSplit only after they are durable).
 */
import type { MessageContext } from '../../machines/message.context.js';
import { ExpectedRevisionConflictError } from '../eventlog/eventLog.js';
import type { Spool } from '../spool/spool.js';
import { BodyExistsError } from '../spool/spoolErrors.js';
import type { EnqueueInput } from './queueOptions.js';
import { headerBlockOf } from './queuedMessage.js';
import { splitIdFor } from '../mail/queueId.js';

export async function enqueueSplitChildren(
  enqueue: (input: EnqueueInput) => Promise<string>,
  spool: Pick<Spool, 'open'>,
  ctx: MessageContext,
  headers: readonly string[],
  groups: readonly string[][],
  nextPolicy: number,
): Promise<{ messageId: string; recipients: string[] }[]> {
  const children: { messageId: string; recipients: string[] }[] = [];
  for (const [i, recipients] of groups.entries()) {
    const childId = splitIdFor(ctx.messageId, i + 1);
    try {
      await enqueue({
        id: childId,
        envelope: { sender: ctx.sender, recipients },
        body: spool.open(ctx.bodyRef, { prepend: headerBlockOf(headers) }),
        ...(ctx.client ? { client: ctx.client } : {}),
        ...(ctx.sessionId ? { sessionId: ctx.sessionId } : {}),
        smtputf8: ctx.smtputf8,
        origin: 'split',
        parentId: ctx.messageId,
        policiesFrom: nextPolicy,
      });
    } catch (err) {
      if (!(err instanceof ExpectedRevisionConflictError || err instanceof BodyExistsError)) throw err;
    }
    children.push({ messageId: childId, recipients: [...recipients] });
  }
  return children;
}
