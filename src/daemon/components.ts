/**
 * Builds the daemon's parts from a resolved Config: the event log (sqlite with the messages
 * projection, postgres or kurrentdb), the relays and router, and the prequeue policies. A part the
 * config names but this version cannot build is a ConfigError naming the key.
 */
import type { Config } from '../config/index.js';
import type { RelayConfig } from '../config/relaySchema.js';
import { ConfigError } from '../errors/mailtrailError.js';
import type { EventLog } from '../eventlog/eventLog.js';
import type { PostgresEventLog } from '../eventlog/postgres/postgresEventLog.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { EventLogOpenError } from '../eventlog/sqlite/sqliteErrors.js';
import { stampNode } from '../eventlog/nodeStamp.js';
import type { Logger } from '../logging/logger.js';
import type { PrequeuePolicy } from '../policies/policy.js';
import { policyFromConfig } from '../config/policyFromConfig.js';
import { inlineProjections } from '../readmodel/inlineProjections.js';
import { recoverySourceFrom } from '../readmodel/messagesProjection.js';
import type { RecoverySource } from '../queue/queue.js';
import { Router } from '../queue/router.js';
import { BlackholeRelay } from '../relay/blackholeRelay.js';
import { MaildirRelay } from '../relay/maildirRelay.js';
import { MaildropRelay } from '../relay/maildropRelay.js';
import { DovecotLdaRelay } from '../relay/dovecotLdaRelay.js';
import { PipeRelay } from '../relay/commandPipeRelay.js';
import { SmtpRelay } from '../relay/smtpRelay.js';
import { LmtpRelay } from '../relay/lmtpRelay.js';
import type { Relay } from '../relay/relay.js';

export interface BuiltLog {
  readonly log: EventLog;
  /** The sqlite log, when that is the adapter (projections, retention). */
  readonly sqlite?: SqliteEventLog;
  /** The PostgreSQL log, when that is the adapter (retention). */
  readonly postgres?: PostgresEventLog;
  /** Start-up's work list; undefined means: scan the log. */
  readonly recovery?: RecoverySource;
}

export async function buildEventLog(config: Config): Promise<BuiltLog> {
  if (config.eventLog.type === 'kurrentdb') {
    // Loaded on demand: the gRPC client is heavy and most installations use sqlite.
    const { KurrentdbEventLog } = await import('../eventlog/kurrentdb/index.js');
    return { log: stampNode(new KurrentdbEventLog(config.eventLog.connectionString), config.node) };
  }
  if (config.eventLog.type === 'postgres') {
    // No inline projections on PostgreSQL yet: start-up folds the message streams (recovery
    // undefined); retention asks the log itself (postgresRetention.ts).
    const { PostgresEventLog, EventLogLockedError } = await import('../eventlog/postgres/index.js');
    const log = new PostgresEventLog(config.eventLog.connectionString, {
      node: config.node,
      applicationName: `mailtrail ${config.node}`,
    });
    try {
      await log.ready();
    } catch (cause) {
      await log.close();
      // Another daemon of this node name writes to this database: exit 75, as for a locked data directory.
      if (cause instanceof EventLogLockedError) throw cause;
      // Unreachable, refused login, no CREATE right: the start fails (exit 70), naming the server.
      throw new EventLogOpenError(log.target, cause instanceof Error ? cause.message : String(cause), cause);
    }
    return { log: stampNode(log, config.node), postgres: log };
  }
  const sqlite = new SqliteEventLog(config.eventLog.path, {
    projections: [...inlineProjections],
    writer: config.eventLog.writer,
  });
  return { log: stampNode(sqlite, config.node), sqlite, recovery: recoverySourceFrom(sqlite.database) };
}

export function buildRelay(relay: RelayConfig, config: Config, key: string): Relay {
  switch (relay.type) {
    case 'maildir':
      return new MaildirRelay({ root: relay.root, hostname: config.hostname });
    case 'blackhole':
      return new BlackholeRelay();
    case 'maildrop':
      return new MaildropRelay(
        { path: relay.path, ...(relay.args ? { args: relay.args } : {}), timeout: relay.timeout },
        { key, ...(config.file ? { file: config.file } : {}) },
      );
    case 'dovecotLda':
      return new DovecotLdaRelay(
        { path: relay.path, ...(relay.args ? { args: relay.args } : {}), timeout: relay.timeout },
        { key, ...(config.file ? { file: config.file } : {}) },
      );
    case 'smtp':
      return new SmtpRelay({
        ...(relay.host ? { host: relay.host } : {}),
        port: relay.port,
        ...(relay.mx !== undefined ? { mx: relay.mx } : {}),
        starttls: relay.starttls,
        ...(relay.auth ? { auth: relay.auth } : {}),
        helo: relay.helo ?? config.hostname,
        timeout: relay.timeout,
        ...(relay.dnsServers ? { resolver: { servers: relay.dnsServers } } : {}),
      });
    case 'lmtp': {
      const common = { helo: relay.helo ?? config.hostname, timeout: relay.timeout };
      return new LmtpRelay(
        relay.socket ? { socket: relay.socket, ...common } : { host: relay.host!, port: relay.port, ...common },
      );
    }
    case 'pipe':
      return new PipeRelay(
        { command: relay.command, timeout: relay.timeout },
        { key, ...(config.file ? { file: config.file } : {}) },
      );
    default: {
      const unknown: never = relay;
      throw new ConfigError(`${key}.type`, `unknown relay type "${(unknown as { type: string }).type}"`, config.file);
    }
  }
}

export function buildRouter(config: Config): Router {
  const routes: Record<string, Relay> = {};
  for (const [domain, relay] of Object.entries(config.routes))
    routes[domain] = buildRelay(relay, config, `routes.${domain}`);
  return new Router({
    localDomains: config.smtp.domains,
    ...(config.smtp.mailboxes ? { mailboxes: config.smtp.mailboxes } : {}),
    localRelay: buildRelay(config.relay, config, 'relay'),
    routes,
    ...(config.outbound ? { outboundRelay: buildRelay(config.outbound, config, 'outbound') } : {}),
  });
}

export function buildPolicies(config: Config, logger?: Logger): PrequeuePolicy[] {
  return config.policies.map((p) => policyFromConfig(p, logger ? { logger } : {}));
}
