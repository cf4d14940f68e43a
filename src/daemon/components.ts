/**
 * Builds the daemon's parts from a resolved Config: the event log (sqlite with the messages
 * projection, or kurrentdb), the relays and router, and the prequeue policies. A part the
 * config names but this version cannot build is a ConfigError naming the key.
 */
import type { Config } from '../config/index.js';
import type { RelayConfig } from '../config/relaySchema.js';
import { ConfigError } from '../errors/mailtrailError.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import type { Logger } from '../log/logger.js';
import type { PrequeuePolicy } from '../policies/policy.js';
import { policyFromConfig } from '../policies/policyFromConfig.js';
import { messagesProjection, recoverySourceFrom } from '../queue/messagesProjection.js';
import type { RecoverySource } from '../queue/queue.js';
import { Router } from '../queue/router.js';
import { BlackholeRelay } from '../relay/blackholeRelay.js';
import { MaildirRelay } from '../relay/maildirRelay.js';
import type { Relay } from '../relay/relay.js';

export interface BuiltLog {
  readonly log: EventLog;
  /** The sqlite log, when that is the adapter (projections, retention). */
  readonly sqlite?: SqliteEventLog;
  /** Start-up's work list; undefined means: scan the log. */
  readonly recovery?: RecoverySource;
}

export async function buildEventLog(config: Config): Promise<BuiltLog> {
  if (config.eventLog.type === 'kurrentdb') {
    // Loaded on demand: the gRPC client is heavy and most installations use sqlite.
    const { KurrentdbEventLog } = await import('../eventlog/kurrentdb/index.js');
    return { log: new KurrentdbEventLog(config.eventLog.connectionString) };
  }
  const sqlite = new SqliteEventLog(config.eventLog.path, { projections: [messagesProjection] });
  return { log: sqlite, sqlite, recovery: recoverySourceFrom(sqlite.database) };
}

export function buildRelay(relay: RelayConfig, config: Config, key: string): Relay {
  switch (relay.type) {
    case 'maildir':
      return new MaildirRelay({ root: relay.root, hostname: config.hostname });
    case 'blackhole':
      return new BlackholeRelay();
    default:
      throw new ConfigError(`${key}.type`, `relay type "${relay.type}" is not available in this version (available: maildir, blackhole)`, config.file);
  }
}

export function buildRouter(config: Config): Router {
  const routes: Record<string, Relay> = {};
  for (const [domain, relay] of Object.entries(config.routes)) routes[domain] = buildRelay(relay, config, `routes.${domain}`);
  return new Router({ localDomains: config.smtp.domains, localRelay: buildRelay(config.relay, config, 'relay'), routes });
}

export function buildPolicies(config: Config, logger?: Logger): PrequeuePolicy[] {
  return config.policies.map((p) => policyFromConfig(p, logger ? { logger } : {}));
}
