/**
 * A message reaching a final state (delivered, bounced, deleted): tell `onFinal`, log a double
 * bounce (a failed message from <> is never returned, as Postfix), hand failed recipients
 * with a sender to tell to the bounce sender, then drop the message's actor.
 */
import type { MessageContext } from '../../machines/message.context.js';
import type { MessageActors } from './messageActors.js';

export interface FinalizationOptions {
  readonly actors: MessageActors;
  readonly onFinal?: (id: string, state: string, context: MessageContext) => void;
  readonly sendBounce?: (context: MessageContext) => Promise<void>;
}

export async function finalizeMessage(options: FinalizationOptions, id: string): Promise<void> {
  const { actors } = options;
  const actor = actors.get(id);
  if (!actor) return;
  const ctx = actor.snapshot.context;
  const log = actors.child(id);
  // A delivered message's recipients each had their `status=sent` line already: one line per
  // outcome, so its final state is a debug line; bounced, expired, deleted and split stay info.
  if (actor.state === 'delivered') log.debug({ state: actor.state }, 'delivered');
  else log.info({ state: actor.state }, `${actor.state}`);
  options.onFinal?.(id, actor.state, ctx);
  const failed = ctx.recipients.filter((r) => r.status === 'failed');
  if (failed.length > 0 && ctx.sender === '' && actor.state !== 'deleted') {
    // Postfix's double bounce: a bounce that cannot be delivered is logged, never returned.
    log.warn(
      { to: failed.map((r) => r.address), parentId: ctx.parentId },
      `undeliverable ${ctx.origin === 'dsn' ? 'bounce' : 'mail from <>'} (double bounce), not returned: ${failed.map((r) => `<${r.address}>: ${r.dsn} ${r.reply}`).join('; ')}`,
    );
  }
  if (failed.length > 0 && ctx.sender !== '' && actor.state !== 'deleted' && options.sendBounce)
    await options.sendBounce(ctx);
  actors.drop(id);
}
