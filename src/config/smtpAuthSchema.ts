/**
 * `smtp.auth`: SMTP AUTH for clients of the edge (submission from a user's mail program).
 * `users` maps a user name to its password, written plain or as an scrypt hash
 * (`scrypt:<salt>:<key>`, base64; src/edge/passwordTable.ts checks both). AUTH is offered
 * only on a TLS-protected session (after STARTTLS, or on an implicit-TLS port), as Postfix's
 * smtpd_tls_auth_only; `allowInsecure: true` offers it in clear text too (a loopback port).
 * Without `smtp.tls`, `allowInsecure: true` is required: the config would otherwise send
 * passwords in clear text without saying so. That rule is checked by the smtp schema.
 */
import { z } from 'zod';
import { strictObject } from './strictObject.js';

const userName = z.string().regex(/^[^\s:]{1,256}$/, 'expected a user name without blanks or ":"');
const password = z.string().min(1, 'expected a non-empty password or scrypt:<salt>:<key>');

export const smtpAuthSchema = strictObject({
  users: z.record(userName, password).refine((users) => Object.keys(users).length > 0, 'expected at least one user'),
  methods: z
    .array(z.enum(['PLAIN', 'LOGIN']))
    .min(1, 'expected PLAIN, LOGIN or both')
    .default(['PLAIN', 'LOGIN']),
  allowInsecure: z.boolean().default(false),
});

export type SmtpAuthConfig = z.infer<typeof smtpAuthSchema>;
