/**
 * The resolved configuration handed to the daemon: every default applied, listen
 * addresses as `{ host, port }`, durations in milliseconds, paths absolute.
 * Produced only by loadConfig / parseConfig / defaultConfig; treat it as read-only.
 */
import type { SmtpAuthConfig } from './smtpAuthSchema.js';
import type { ListenAddress } from './listenAddress.js';
import type { PolicyConfig } from './policySchema.js';
import type { RelayConfig } from './relaySchema.js';

/** The outbound relay: always SMTP (a smarthost or MX lookup). */
export type OutboundConfig = Extract<RelayConfig, { type: 'smtp' }>;
import type { logLevels } from './configSchema.js';

export type EventLogConfig =
  | { readonly type: 'sqlite'; readonly path: string; readonly writer: 'thread' | 'loop' }
  | { readonly type: 'kurrentdb'; readonly connectionString: string }
  | { readonly type: 'postgres'; readonly connectionString: string };

export interface TlsConfig {
  readonly key: string;
  readonly cert: string;
  readonly implicit: boolean;
}

export interface SmtpConfig {
  readonly listen: readonly ListenAddress[];
  /** Lower-cased; RCPT is accepted only for these. */
  readonly domains: readonly string[];
  /** Known users (domain part lower-cased); undefined when any local part is accepted. */
  readonly mailboxes?: readonly string[];
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly maxClients: number;
  /** Milliseconds. */
  readonly idleTimeout: number;
  /** Milliseconds for one whole command line / the whole DATA phase, trickled bytes or not. */
  readonly commandTimeout: number;
  readonly dataTimeout: number;
  /** Per client address: concurrent connections, connections per rateTimeUnit (0: no limit). */
  readonly clientConnectionLimit: number;
  readonly clientConnectionRateLimit: number;
  /** Milliseconds. */
  readonly rateTimeUnit: number;
  /** Addresses and CIDR networks exempt from the per-client limits. */
  readonly clientLimitExceptions: readonly string[];
  /** `Received:` headers that make a message refused (hopcount_limit). */
  readonly hopCountLimit: number;
  /** Milliseconds before the 220 greeting (early-talker check). */
  readonly greetDelay: number;
  /** Look up each client's reverse DNS name (Postfix smtpd_peername_lookup). */
  readonly reverseLookup: boolean;
  readonly hardErrorLimit: number;
  readonly tls?: TlsConfig;
  readonly auth?: SmtpAuthConfig;
}

export interface QueueConfig {
  /** Milliseconds, minBackoff <= maxBackoff. */
  readonly retry: { readonly minBackoff: number; readonly maxBackoff: number; readonly maxLifetime: number };
  readonly concurrency: number;
  /** Milliseconds. */
  readonly bodyRetention: number;
  /** Milliseconds: session and probe streams older than this are deleted. */
  readonly sessionRetention: number;
  /** Milliseconds: how long a node's AttemptClaimed holds a message (shared logs). */
  readonly claimLease: number;
}

export interface SpoolConfig {
  /** Bytes: bodies up to this size are committed with their MessageReceived (sqlite log); 0: files only. */
  readonly inlineThreshold: number;
}

export type LogLevel = (typeof logLevels)[number];

export interface Config {
  /** Absolute path of the file read, undefined for defaultConfig() or text without a file. */
  readonly file?: string;
  readonly hostname: string;
  /** This daemon's name among the nodes sharing one log; default: hostname. */
  readonly node: string;
  readonly dataDir: string;
  readonly eventLog: EventLogConfig;
  readonly smtp: SmtpConfig;
  readonly relay: RelayConfig;
  /** Recipient domain (lower-cased) → relay; domains not listed use `relay`. */
  readonly routes: Readonly<Record<string, RelayConfig>>;
  /** For recipients outside smtp.domains with no route (DSNs to remote senders); none: they wait. */
  readonly outbound?: OutboundConfig;
  readonly policies: readonly PolicyConfig[];
  readonly queue: QueueConfig;
  readonly spool: SpoolConfig;
  readonly user?: string | number;
  readonly group?: string | number;
  readonly pidfile?: string;
  readonly log: { readonly level: LogLevel; readonly pretty: boolean };
}
