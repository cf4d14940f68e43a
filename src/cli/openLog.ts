/**
 * How CLI commands find the daemon's data: `--config FILE` (or the defaults: ./var), then the
 * sqlite event log opened READ-ONLY, so a CLI run as root never leaves root-owned files that
 * would break a daemon running as another user; or, for the commands that read through the
 * port only, the shared PostgreSQL log.
 */
import { existsSync } from 'node:fs';
import { loadConfig, type Config } from '../config/index.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { MailtrailError } from '../errors/mailtrailError.js';

export class UsageError extends MailtrailError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

export async function configFrom(values: { config?: string | undefined }): Promise<Config> {
  return loadConfig(values.config);
}

export async function openLogReadonly(config: Config): Promise<SqliteEventLog> {
  if (config.eventLog.type !== 'sqlite')
    throw new UsageError(`this command reads the sqlite event log; the config uses ${config.eventLog.type}`);
  const path = config.eventLog.path;
  if (!existsSync(path))
    throw new UsageError(`no event log at ${path} (has the daemon run with this config or --config?)`);
  return new SqliteEventLog(path, { readonly: true });
}

/**
 * The log for commands that only read it through the port (queue, history): the sqlite log
 * read-only, or the shared PostgreSQL log (any node's CLI sees every node's messages).
 */
export async function openEventLog(config: Config): Promise<EventLog> {
  if (config.eventLog.type !== 'postgres') return openLogReadonly(config);
  const { PostgresEventLog } = await import('../eventlog/postgres/index.js');
  return new PostgresEventLog(config.eventLog.connectionString, { poolSize: 1 });
}

export const commonOptions = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
} as const;
