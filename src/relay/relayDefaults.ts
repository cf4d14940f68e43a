/**
 * Each relay's defaults, in one place: the relays fall back on them and the configuration
 * schema (src/config/relaySchema.ts) takes its `relay.*` defaults from here, so the library
 * and the daemon cannot drift. Data only (no nodemailer, no child_process), so loading the
 * config stays light. Timeouts in milliseconds.
 */
export const MAILDROP_DEFAULTS = { path: 'maildrop', timeout: 10_000 } as const;
export const DOVECOT_LDA_DEFAULTS = { path: '/usr/lib/dovecot/dovecot-lda', timeout: 10_000 } as const;
/** A pipe relay's (and maildrop's, dovecot-lda's) command timeout. */
export const PIPE_DEFAULTS = { timeout: 10_000 } as const;
export const LMTP_DEFAULTS = { port: 24, timeout: 300_000, starttls: 'never' } as const;
export const SMTP_RELAY_DEFAULTS = { port: 25, timeout: 300_000, starttls: 'opportunistic' } as const;
