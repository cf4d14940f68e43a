/**
 * Before a message's body goes out again (a retry, an attempt after a restart, one that waited
 * for a slot), it is checked against what MessageReceived recorded: the same size and sha256.
 * A body that differs (a file edited, truncated, or rotted on disk) or is gone is not sent: the
 * queue holds the message with this reason and says so, as Postfix sets a corrupt queue file
 * aside instead of delivering it. A first attempt that rides with PoliciesApplied is not
 * checked: its body was stored a moment ago by this process.
 */
import type { MessageContext } from '../../machines/message.context.js';
import type { Spool } from '../spool/spool.js';
import { BodyMissingError } from '../spool/spoolErrors.js';

/** A body that may not be sent: there but different (`damaged`), or gone (`missing`); `reason` says how. */
export interface BodyDamage {
  readonly kind: 'damaged' | 'missing';
  readonly reason: string;
}

/** What is wrong with this message's stored body, or undefined when it is intact. */
export async function bodyDamageOf(
  verify: Spool['verify'],
  ctx: Pick<MessageContext, 'bodyRef' | 'size' | 'sha256'>,
): Promise<BodyDamage | undefined> {
  if (!ctx.sha256) return undefined; // nothing recorded to compare with
  try {
    const found = await verify(ctx.bodyRef, ctx.sha256);
    if (found.ok && found.size === ctx.size) return undefined;
    const reason = `body damaged: ${ctx.bodyRef} holds ${found.size} bytes with sha256 ${found.sha256}, received as ${ctx.size} bytes with sha256 ${ctx.sha256}`;
    return { kind: 'damaged', reason };
  } catch (err) {
    if (err instanceof BodyMissingError)
      return { kind: 'missing', reason: `body missing: ${ctx.bodyRef} is gone from the spool` };
    // Another read error (EIO): the attempt runs, and its relay defers on the same error.
    return undefined;
  }
}
