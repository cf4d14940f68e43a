/**
 * The `relay` section (and each value of `routes`): a zod discriminated union on `type`.
 * maildir, maildrop, dovecotLda and pipe match their relays' options (the command relays
 * time out after 10s by default, as the tutorial's MaildropRelay); lmtp, smtp carry the
 * options their relays are expected to need and may grow. Paths are made absolute and
 * the maildir root defaulted to <dataDir>/mail later, by resolveConfig.ts; smtp's `mx`
 * defaults there to true exactly when no `host` is given; lmtp takes a host or a socket.
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { strictObject } from './strictObject.js';
import {
  DOVECOT_LDA_DEFAULTS,
  LMTP_DEFAULTS,
  MAILDROP_DEFAULTS,
  PIPE_DEFAULTS,
  SMTP_RELAY_DEFAULTS,
} from '../relay/relayDefaults.js';

const port = z.number().int().min(0).max(65535);
const nonEmpty = z.string().min(1, 'expected a non-empty string');

export const maildirRelaySchema = strictObject({
  type: z.literal('maildir'),
  root: nonEmpty.optional(),
});

export const maildropRelaySchema = strictObject({
  type: z.literal('maildrop'),
  path: nonEmpty.default(MAILDROP_DEFAULTS.path),
  args: z.array(z.string()).optional(),
  timeout: durationSchema.default(MAILDROP_DEFAULTS.timeout),
});

export const dovecotLdaRelaySchema = strictObject({
  type: z.literal('dovecotLda'),
  path: nonEmpty.default(DOVECOT_LDA_DEFAULTS.path),
  args: z.array(z.string()).optional(),
  timeout: durationSchema.default(DOVECOT_LDA_DEFAULTS.timeout),
});

export const lmtpRelaySchema = strictObject({
  type: z.literal('lmtp'),
  host: nonEmpty.optional(),
  port: port.default(LMTP_DEFAULTS.port),
  socket: nonEmpty.optional(),
  helo: nonEmpty.optional(),
  timeout: durationSchema.default(LMTP_DEFAULTS.timeout),
}).superRefine((relay, ctx) => {
  if ((relay.host === undefined) === (relay.socket === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['host'], input: relay, message: 'expected either a host or a socket' });
  }
});

const dnsServer = z
  .string()
  .regex(
    /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])(:\d{1,5})?$|^[0-9a-fA-F:]+$/,
    'expected an IP address, optionally with :port',
  );

export const smtpRelaySchema = strictObject({
  type: z.literal('smtp'),
  host: nonEmpty.optional(),
  port: port.default(SMTP_RELAY_DEFAULTS.port),
  mx: z.boolean().optional(),
  starttls: z.enum(['opportunistic', 'required', 'never']).default(SMTP_RELAY_DEFAULTS.starttls),
  auth: strictObject({ user: nonEmpty, pass: nonEmpty }).optional(),
  helo: nonEmpty.optional(),
  dnsServers: z.array(dnsServer).min(1).optional(),
  timeout: durationSchema.default(SMTP_RELAY_DEFAULTS.timeout),
}).superRefine((relay, ctx) => {
  if (relay.mx === false && relay.host === undefined) {
    ctx.addIssue({ code: 'custom', path: ['host'], input: relay, message: 'expected a host when mx is false' });
  }
});

export const pipeRelaySchema = strictObject({
  type: z.literal('pipe'),
  command: z.array(z.string()).min(1, 'expected a command as a list: [program, arg, ...]'),
  timeout: durationSchema.default(PIPE_DEFAULTS.timeout),
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
