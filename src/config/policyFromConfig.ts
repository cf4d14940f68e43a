/**
 * Builds the prequeue policy a `policies` entry of the configuration names (policySchema.ts
 * has parsed and defaulted its options): the daemon calls it once per entry, in order.
 * Every policy name of the schema has a case here; the switch fails to compile otherwise.
 * The SpamAssassin policy gets the daemon's logger, for the messages it passes unscanned.
 */
import type { Logger } from 'pino';
import { InvariantError } from '../errors/mailtrailError.js';
import type { PolicyConfig } from './policySchema.js';
import { Forward } from '../policies/forward.js';
import { AddDateHeader, AddMessageIdHeader, AddReceivedHeader } from '../policies/headerPolicies.js';
import type { PrequeuePolicy } from '../policies/policy.js';
import { RecipientDomainSplit, RecipientSplit } from '../policies/recipientSplit.js';
import { SpamAssassin } from '../policies/spamAssassin.js';

export function policyFromConfig(config: PolicyConfig, deps: { logger?: Logger } = {}): PrequeuePolicy {
  switch (config.name) {
    case 'addDateHeader':
      return new AddDateHeader();
    case 'addMessageIdHeader':
      return new AddMessageIdHeader();
    case 'addReceivedHeader':
      return new AddReceivedHeader();
    case 'spamassassin': {
      const { socket, host, port, ...rest } = config.options;
      return new SpamAssassin({
        ...(socket !== undefined ? { socket } : { host, port }),
        ...rest,
        ...(deps.logger ? { logger: deps.logger } : {}),
      });
    }
    case 'forward':
      return new Forward(config.options);
    case 'recipientSplit':
      return new RecipientSplit();
    case 'recipientDomainSplit':
      return new RecipientDomainSplit();
    default: {
      const unknown: never = config;
      throw new InvariantError(`unknown policy ${(unknown as PolicyConfig).name}`);
    }
  }
}
