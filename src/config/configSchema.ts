/**
 * The zod schema of the configuration file, as written: every key optional, objects
 * strict (an unknown key is an error), durations and listen addresses already parsed.
 * Defaults that depend on other keys or on the file's location (paths, hostname) are
 * applied afterwards by resolveConfig.ts; docs/configuration.md documents every key.
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { listenSchema } from './listenAddress.js';
import { DEFAULT_POLICIES, policiesSchema } from './policySchema.js';
import { relaySchema, smtpRelaySchema } from './relaySchema.js';
import { smtpAuthSchema } from './smtpAuthSchema.js';
import { strictObject } from './strictObject.js';
import { parseNetwork } from '../mail/ipNetwork.js';
import { SMTP_EDGE_DEFAULTS } from '../edge/edgeDefaults.js';
import { defaultRetryPolicy } from '../queue/backoff.js';
import { QUEUE_DEFAULTS } from '../queue/queueDefaults.js';
import { DEFAULT_INLINE_THRESHOLD } from '../spool/inlineBodies.js';
import { domainOf, withLowerCaseDomain } from '../mail/address.js';

const nonEmpty = z.string().min(1, 'expected a non-empty string');
const positiveInt = z.number().int().positive();
const domain = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'expected a domain name like example.test')
  .transform((d) => d.toLowerCase());
const mailbox = z
  .string()
  .regex(/^[^@\s]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'expected an address like bob@example.test')
  .transform(withLowerCaseDomain);
const nonNegativeInt = z.number().int().nonnegative();
const network = z
  .string()
  .refine((entry) => parseNetwork(entry) !== undefined, 'expected an IP address or a CIDR network like 10.0.0.0/8');
const idOrName = z.union([nonEmpty, z.number().int().nonnegative()], { error: 'expected a name or a numeric id' });

export const eventLogSchema = z.discriminatedUnion('type', [
  strictObject({
    type: z.literal('sqlite'),
    path: nonEmpty.optional(),
    writer: z.enum(['thread', 'loop']).default('thread'),
  }),
  strictObject({ type: z.literal('kurrentdb'), connectionString: nonEmpty }),
  strictObject({
    type: z.literal('postgres'),
    connectionString: nonEmpty.regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL'),
  }),
]);

export const tlsSchema = strictObject({
  key: nonEmpty,
  cert: nonEmpty,
  implicit: z.boolean().default(false),
});

export const smtpSchema = strictObject({
  listen: listenSchema.default([{ host: '127.0.0.1', port: 2525 }]),
  domains: z.array(domain).min(1, 'expected at least one domain').default(['localhost']),
  mailboxes: z.array(mailbox).optional(),
  maxMessageSize: positiveInt.default(SMTP_EDGE_DEFAULTS.maxMessageSize),
  maxRecipients: positiveInt.default(SMTP_EDGE_DEFAULTS.maxRecipients),
  maxClients: positiveInt.default(SMTP_EDGE_DEFAULTS.maxClients),
  idleTimeout: durationSchema.default(SMTP_EDGE_DEFAULTS.idleTimeout),
  commandTimeout: durationSchema.default(SMTP_EDGE_DEFAULTS.commandTimeout),
  dataTimeout: durationSchema.default(SMTP_EDGE_DEFAULTS.dataTimeout),
  clientConnectionLimit: nonNegativeInt.default(SMTP_EDGE_DEFAULTS.clientConnectionLimit),
  clientConnectionRateLimit: nonNegativeInt.default(SMTP_EDGE_DEFAULTS.clientConnectionRateLimit),
  rateTimeUnit: durationSchema.default(SMTP_EDGE_DEFAULTS.rateTimeUnit),
  clientLimitExceptions: z.array(network).default([]),
  hopCountLimit: positiveInt.default(SMTP_EDGE_DEFAULTS.hopCountLimit),
  greetDelay: durationSchema.default(SMTP_EDGE_DEFAULTS.greetDelay),
  reverseLookup: z.boolean().default(true),
  hardErrorLimit: positiveInt.default(SMTP_EDGE_DEFAULTS.hardErrorLimit),
  tls: tlsSchema.optional(),
  auth: smtpAuthSchema.optional(),
}).superRefine((smtp, ctx) => {
  if (smtp.auth && !smtp.tls && !smtp.auth.allowInsecure) {
    ctx.addIssue({
      code: 'custom',
      path: ['auth'],
      message:
        'AUTH is offered only over TLS: configure smtp.tls, or set smtp.auth.allowInsecure: true to send passwords in clear text',
    });
  }
  smtp.mailboxes?.forEach((address, index) => {
    const domain = domainOf(address);
    if (!smtp.domains.includes(domain)) {
      ctx.addIssue({
        code: 'custom',
        path: ['mailboxes', index],
        input: address,
        message: `expected an address in one of smtp.domains (${smtp.domains.join(', ')})`,
      });
    }
  });
});

export const retrySchema = strictObject({
  minBackoff: durationSchema.default(defaultRetryPolicy.minBackoff),
  maxBackoff: durationSchema.default(defaultRetryPolicy.maxBackoff),
  maxLifetime: durationSchema.default(defaultRetryPolicy.maxLifetime),
}).superRefine((retry, ctx) => {
  if (retry.minBackoff > retry.maxBackoff) {
    ctx.addIssue({
      code: 'custom',
      path: ['minBackoff'],
      input: retry.minBackoff,
      message: `expected at most maxBackoff (${retry.maxBackoff} ms), got ${retry.minBackoff} ms`,
    });
  }
});

export const queueSchema = strictObject({
  retry: retrySchema.prefault({}),
  concurrency: positiveInt.default(QUEUE_DEFAULTS.concurrency),
  bodyRetention: durationSchema.default(7 * 86_400_000),
  sessionRetention: durationSchema.default(30 * 86_400_000),
  claimLease: durationSchema
    .refine((ms) => ms >= 1000, 'expected at least 1s (a node renews its claims every third of the lease)')
    .default(QUEUE_DEFAULTS.claimLease),
});

export const spoolSchema = strictObject({
  /** Bodies up to this many bytes ride in the log's transaction (sqlite log only); 0: always files. */
  inlineThreshold: nonNegativeInt.default(DEFAULT_INLINE_THRESHOLD),
});

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logSchema = strictObject({
  level: z.enum(logLevels).default('info'),
  pretty: z.boolean().default(false),
});

export const configSchema = strictObject({
  hostname: nonEmpty.regex(/^[^\s]+$/, 'expected a host name without spaces').optional(),
  dataDir: nonEmpty.default('./var'),
  node: nonEmpty
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
      'expected a node name: letters, digits, dots, dashes, underscores (at most 63)',
    )
    .optional(),
  eventLog: eventLogSchema.default({ type: 'sqlite', writer: 'thread' }),
  smtp: smtpSchema.prefault({}),
  relay: relaySchema.default({ type: 'maildir' }),
  routes: z.record(domain, relaySchema).default({}),
  outbound: smtpRelaySchema.optional(),
  policies: policiesSchema.prefault([...DEFAULT_POLICIES]),
  queue: queueSchema.prefault({}),
  spool: spoolSchema.prefault({}),
  user: idOrName.optional(),
  group: idOrName.optional(),
  pidfile: nonEmpty.optional(),
  log: logSchema.prefault({}),
});

/** The configuration file after zod: defaults applied, paths still as written. */
export type ParsedConfig = z.output<typeof configSchema>;
/** The configuration file as it may be written. */
export type ConfigInput = z.input<typeof configSchema>;
