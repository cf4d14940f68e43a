/**
 * Policy addDateHeader: adds `Date: <RFC 5322 date of ctx.now>` when the original header
 * block has no Date field (RFC 5321 §6.4 lets a submission server supply one). Uses
 * ctx.now, never the clock, so the effect is reproducible. A message that has a Date
 * field, however cased or folded, is left alone.
 */
import { formatRfc5322Date } from '../mail/rfc5322Date.js';
import { hasHeader } from './headerBlock.js';
import type { PolicyContext, PolicyEffect, PrequeuePolicy } from './policy.js';

export const addDateHeader: PrequeuePolicy = {
  name: 'addDateHeader',
  async apply(ctx: PolicyContext): Promise<PolicyEffect> {
    if (hasHeader(await ctx.readHeaders(), 'date')) return {};
    return { prependHeaders: [`Date: ${formatRfc5322Date(ctx.now)}`] };
  },
};
