/**
 * How CLI commands find the daemon's data: `--config FILE` (or the defaults: ./var), then the
 * sqlite event log opened READ-ONLY, so a CLI run as root never leaves root-owned files that
 * would break a daemon running as another user.
 */
import { existsSync } from 'node:fs';
import { loadConfig, type Config } from '../config/index.js';
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
  if (config.eventLog.type !== 'sqlite') throw new UsageError(`this command reads the sqlite event log; the config uses ${config.eventLog.type}`);
  const path = config.eventLog.path;
  if (!existsSync(path)) throw new UsageError(`no event log at ${path} (has the daemon run with this config or --config?)`);
  return new SqliteEventLog(path, { readonly: true });
}

export const commonOptions = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
} as const;
