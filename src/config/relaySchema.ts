/**
 * The `relay` section (and each value of `routes`): a zod discriminated union on `type`.
 * maildir is complete; maildrop, dovecotLda, lmtp, smtp, pipe and blackhole carry the
 * options their relays are expected to need and may grow. Paths are made absolute and
 * the maildir root defaulted to <dataDir>/mail later, by resolveConfig.ts; smtp's `mx`
 * defaults there to true exactly when no `host` is given.
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { strictObject } from './strictObject.js';

const port = z.number().int().min(0).max(65535);
const nonEmpty = z.string().min(1, 'expected a non-empty string');

export const maildirRelaySchema = strictObject({
  type: z.literal('maildir'),
  root: nonEmpty.optional(),
});

export const maildropRelaySchema = strictObject({
  type: z.literal('maildrop'),
  path: nonEmpty.default('maildrop'),
  args: z.array(z.string()).optional(),
  timeout: durationSchema.default(300_000),
});

export const dovecotLdaRelaySchema = strictObject({
  type: z.literal('dovecotLda'),
  path: nonEmpty.default('/usr/lib/dovecot/dovecot-lda'),
  args: z.array(z.string()).optional(),
  timeout: durationSchema.default(300_000),
});

export const lmtpRelaySchema = strictObject({
  type: z.literal('lmtp'),
  host: nonEmpty,
  port: port.default(24),
  timeout: durationSchema.default(300_000),
});

export const smtpRelaySchema = strictObject({
  type: z.literal('smtp'),
  host: nonEmpty.optional(),
  port: port.default(25),
  mx: z.boolean().optional(),
  requireTls: z.boolean().default(false),
  timeout: durationSchema.default(300_000),
}).superRefine((relay, ctx) => {
  if (relay.mx === false && relay.host === undefined) {
    ctx.addIssue({ code: 'custom', path: ['host'], input: relay, message: 'expected a host when mx is false' });
  }
});

export const pipeRelaySchema = strictObject({
  type: z.literal('pipe'),
  command: z.array(z.string()).min(1, 'expected a command as a list: [program, arg, ...]'),
  timeout: durationSchema.default(300_000),
});

export const blackholeRelaySchema = strictObject({
  type: z.literal('blackhole'),
});

export const relaySchema = z.discriminatedUnion('type', [
  maildirRelaySchema,
  maildropRelaySchema,
  dovecotLdaRelaySchema,
  lmtpRelaySchema,
  smtpRelaySchema,
  pipeRelaySchema,
  blackholeRelaySchema,
]);

/** A relay as parsed, before paths are resolved. */
export type RelayInput = z.output<typeof relaySchema>;

/** A relay of the resolved Config: maildir always has its root, paths are absolute. */
export type RelayConfig =
  | (Omit<z.output<typeof maildirRelaySchema>, 'root'> & { root: string })
  | (Omit<z.output<typeof smtpRelaySchema>, 'mx'> & { mx: boolean })
  | Exclude<RelayInput, { type: 'maildir' | 'smtp' }>;

export type RelayType = RelayConfig['type'];
