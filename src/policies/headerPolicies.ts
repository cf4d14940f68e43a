/**
 * The header policies as classes, for the library API read the way the tutorial reads:
 * `queue.addPrequeuePolicy(new AddDateHeader())`. Thin wrappers: each delegates to the
 * policy object of its own module (addDateHeader.ts, addMessageIdHeader.ts,
 * addReceivedHeader.ts) and has the same name, so the stored verdicts and headers match.
 */
import { addDateHeader } from './addDateHeader.js';
import { addMessageIdHeader } from './addMessageIdHeader.js';
import { addReceivedHeader } from './addReceivedHeader.js';
import type { PolicyContext, PolicyEffect, PrequeuePolicy } from './policy.js';

export class AddDateHeader implements PrequeuePolicy {
  readonly name = addDateHeader.name;
  apply(ctx: PolicyContext): Promise<PolicyEffect> {
    return addDateHeader.apply(ctx);
  }
}

export class AddMessageIdHeader implements PrequeuePolicy {
  readonly name = addMessageIdHeader.name;
  apply(ctx: PolicyContext): Promise<PolicyEffect> {
    return addMessageIdHeader.apply(ctx);
  }
}

export class AddReceivedHeader implements PrequeuePolicy {
  readonly name = addReceivedHeader.name;
  apply(ctx: PolicyContext): Promise<PolicyEffect> {
    return addReceivedHeader.apply(ctx);
  }
}
