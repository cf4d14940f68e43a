/**
 * `smtp.auth` → the edge's AuthOptions: the configured mechanisms, whether AUTH may come
 * before TLS, and `authenticate` over the configured users (src/edge/passwordTable.ts).
 * Plain passwords are hashed here, once, so only hashes stay in memory.
 */
import type { SmtpAuthConfig } from '../config/smtpAuthSchema.js';
import type { AuthOptions } from '../edge/index.js';
import { passwordTable } from '../edge/passwordTable.js';

export function edgeAuth(auth: SmtpAuthConfig): AuthOptions {
  const check = passwordTable(auth.users);
  return {
    methods: [...auth.methods],
    allowInsecure: auth.allowInsecure,
    authenticate: (user, password) => check(user, password),
  };
}
