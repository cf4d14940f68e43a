/**
 * The SMTP edge's defaults, in one place: SmtpEdge falls back on them and the configuration
 * schema (src/config/configSchema.ts) takes its `smtp.*` defaults from here, so the library and
 * the daemon cannot drift. Data only (no smtp-server), so loading the config stays light.
 */
export const SMTP_EDGE_DEFAULTS = {
  maxMessageSize: 25 * 1024 * 1024,
  maxRecipients: 1000,
  maxClients: 100,
  greetDelay: 100,
  idleTimeout: 5 * 60_000,
  commandTimeout: 5 * 60_000,
  dataTimeout: 10 * 60_000,
  clientConnectionLimit: 50,
  clientConnectionRateLimit: 0,
  rateTimeUnit: 60_000,
  hopCountLimit: 50,
  hardErrorLimit: 20,
  maxLineLength: 4096,
  closeTimeout: 10_000,
} as const;
