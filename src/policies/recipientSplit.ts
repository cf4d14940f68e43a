/**
 * Policies recipientSplit and recipientDomainSplit (python-slimta's policy/split.py): one
 * envelope becomes several, for relays that handle one recipient, or one domain, per
 * message. Effect: `split`, one group of recipients per child message, in the order of the
 * envelope; no effect when there would be a single group. Domains compare case-insensitively;
 * an address without a domain (`postmaster`, `bob@`) gets a group of its own, after the others.
 */
import type { PolicyContext, PolicyEffect, PrequeuePolicy } from './policy.js';
import { domainOf } from '../mail/address.js';

/** The domain of `address`, lower-cased, or undefined when it has none. */
export function recipientDomain(address: string): string | undefined {
  return domainOf(address) || undefined;
}

/** One group per recipient. */
export function splitByRecipient(recipients: readonly string[]): string[][] {
  return recipients.map((r) => [r]);
}

/** One group per domain, in order of first appearance; then one per address without a domain. */
export function splitByDomain(recipients: readonly string[]): string[][] {
  const byDomain = new Map<string, string[]>();
  const bare: string[][] = [];
  for (const r of recipients) {
    const domain = recipientDomain(r);
    if (domain === undefined) bare.push([r]);
    else byDomain.set(domain, [...(byDomain.get(domain) ?? []), r]);
  }
  return [...byDomain.values(), ...bare];
}

function splitEffect(groups: string[][]): PolicyEffect {
  return groups.length > 1 ? { split: groups.map((recipients) => ({ recipients })) } : {};
}

export class RecipientSplit implements PrequeuePolicy {
  readonly name = 'recipientSplit';
  async apply(ctx: PolicyContext): Promise<PolicyEffect> {
    return splitEffect(splitByRecipient(ctx.message.envelope.recipients));
  }
}

export class RecipientDomainSplit implements PrequeuePolicy {
  readonly name = 'recipientDomainSplit';
  async apply(ctx: PolicyContext): Promise<PolicyEffect> {
    return splitEffect(splitByDomain(ctx.message.envelope.recipients));
  }
}
