/**
 * `mailtrail rebuild-projections [--config FILE]`: drops the inline projection tables
 * (`messages`, `message_search`, `message_snapshots`) and refills them from the whole log in one transaction, with
 * a progress line on a terminal. It opens the log WRITABLE, so it refuses while the daemon
 * runs (its control socket answers a ping, or answers garbage: it may be running); exit 69.
 * Readers (`mailtrail queue`) see the old tables until the transaction commits.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ControlError, DaemonNotRunningError, sendControl } from '../control/controlClient.js';
import { controlSocketPath } from '../control/protocol.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { inlineProjections, projectionTables } from '../readmodel/inlineProjections.js';
import { rebuildProjections } from '../readmodel/projectionRebuild.js';
import { configFrom, UsageError } from './openLog.js';
import { formatRate, progressLine } from './progressLine.js';

const USAGE = 'usage: mailtrail rebuild-projections [--config FILE]';

/** Why the daemon seems to be running on this data directory, or undefined when it is not. */
export async function daemonRunning(dataDir: string): Promise<string | undefined> {
  const path = controlSocketPath(dataDir);
  try {
    const reply = await sendControl(path, { op: 'ping' }, 3000);
    return `the daemon is running${reply.ok && reply.pid ? ` (pid ${reply.pid})` : ''}: it answers on ${path}`;
  } catch (err) {
    if (err instanceof DaemonNotRunningError) return undefined;
    if (err instanceof ControlError) return `the daemon may be running: ${err.message}`;
    throw err;
  }
}

export const options = { config: { type: 'string', short: 'c' } } as const;

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(USAGE);
  const config = await configFrom(values);
  if (config.eventLog.type !== 'sqlite')
    throw new UsageError(
      `rebuild-projections rebuilds the sqlite log's tables; the config uses ${config.eventLog.type}`,
    );
  const path = config.eventLog.path;
  if (!existsSync(path))
    throw new UsageError(`no event log at ${path} (has the daemon run with this config or --config?)`);
  const running = await daemonRunning(config.dataDir);
  if (running) {
    process.stderr.write(
      `mailtrail rebuild-projections: refused: ${running}. Stop the daemon first; it writes these tables.\n`,
    );
    return 69;
  }
  const log = new SqliteEventLog(path); // writable, without projections: the rebuild runs them itself
  try {
    const tables = inlineProjections.flatMap((p) => projectionTables[p.name] ?? []);
    const progress = progressLine(process.stderr, 'rebuilding projections:');
    const result = rebuildProjections(log.database, inlineProjections, tables, (done, total) =>
      progress.update(done, total),
    );
    const ms = progress.finish();
    const rows = Object.entries(result.rows)
      .map(([t, n]) => `${t} (${n} rows)`)
      .join(', ');
    process.stdout.write(
      `rebuilt ${rows} from ${result.events} events in ${(ms / 1000).toFixed(1)} s (${formatRate(result.events, ms)})\n`,
    );
    return 0;
  } finally {
    await log.close();
  }
}
