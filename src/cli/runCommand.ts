/**
 * `mailtrail run [--config FILE] [--user U] [--group G] [--pidfile F] [--daemon]`: the daemon.
 * With no config it listens on 127.0.0.1:2525, accepts mail for `localhost` and delivers into
 * ./var/mail, and says so in its first log line. A bad config exits 78 (EX_CONFIG) before
 * listening, naming file and key. SIGTERM/SIGINT stop cleanly (exit 0); SIGHUP reloads the
 * log level, accepted domains and mailboxes, and reports what needs a restart. Privileges are dropped after binding.
 * `--metrics[=PORT]` serves Prometheus metrics on 127.0.0.1 (default 9465; src/metrics).
 * `--inspect[=PORT] [--inspect-addresses=show|mask]` serves the Stately inspector relay on 127.0.0.1 (default 8080; src/inspect).
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkRelayPrograms, loadConfig, type Config } from '../config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { writePidfile } from '../daemon/pidfile.js';
import { dropPrivileges } from '../daemon/privileges.js';
import { ConfigError } from '../errors/mailtrailError.js';
import { createLogger, type Logger } from '../log/logger.js';
import { parseMetricsPort, startMetrics } from '../metrics/index.js';
import { parseAddressMode, parseInspectPort } from '../inspect/inspectFlags.js';

export const options = {
  config: { type: 'string', short: 'c' },
  user: { type: 'string' },
  group: { type: 'string' },
  pidfile: { type: 'string' },
  daemon: { type: 'boolean' },
  metrics: { type: 'string' },
  inspect: { type: 'string' },
  'inspect-addresses': { type: 'string' },
} as const;

/** `--daemon`: start a detached copy with stdio on /dev/null (the tutorial's daemonize + redirect_stdio). */
function detach(args: readonly string[]): number {
  const rest = args.filter((a) => a !== '--daemon');
  const devnull = openSync('/dev/null', 'r+');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'run', ...rest], {
    detached: true,
    stdio: [devnull, devnull, devnull],
  });
  child.unref();
  process.stdout.write(`mailtrail: daemon started, pid ${child.pid}\n`);
  return 0;
}

function describeStart(config: Config, listening: readonly { host: string; port: number }[]): string {
  const where = listening.map((l) => (l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`)).join(', ');
  const relay = config.relay.type === 'maildir' ? `into ${config.relay.root}` : `with the ${config.relay.type} relay`;
  return `mailtrail listening on ${where}, accepting mail for ${config.smtp.domains.join(', ')}, delivering ${relay}, data in ${config.dataDir}${config.file ? ` (config ${config.file})` : ' (no config file: defaults)'}`;
}

export async function run(args: readonly string[]): Promise<number> {
  // `--metrics` alone means the default port: parseArgs has no optional values, so it becomes `--metrics=`.
  const { values } = parseArgs({ args: args.map((a) => (a === '--metrics' ? '--metrics=' : a === '--inspect' ? '--inspect=' : a)), options, allowPositionals: false });
  if (values.daemon) return detach(args);
  let config: Config;
  try {
    config = await loadConfig(values.config);
    checkRelayPrograms(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mailtrail: configuration error: ${err.message}\n`);
      return 78;
    }
    throw err;
  }
  const logger: Logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  // Signals are caught from here on: one that arrives while starting stops the daemon once started.
  let signalled: ((signal: string) => void) | undefined;
  let early: string | undefined;
  const onSignal = (signal: string) => (signalled ? signalled(signal) : (early ??= signal));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const inspect = values.inspect === undefined ? {} : { inspect: { port: parseInspectPort(values.inspect), addresses: parseAddressMode(values['inspect-addresses']) } };
  const daemon = await Daemon.create(config, logger, inspect);
  const metrics = values.metrics === undefined ? undefined : await startMetrics({ log: daemon.queue.log, queue: daemon.queue, port: parseMetricsPort(values.metrics), logger });
  // Once the ports are bound: the pid file (still as root), then the privilege drop, before
  // any recovered delivery runs and before the control socket is created.
  const pidfile = values.pidfile ?? config.pidfile;
  let removePid: (() => void) | undefined;
  let dropped: ReturnType<typeof dropPrivileges>;
  const status = await daemon.start(() => {
    removePid = pidfile ? writePidfile(pidfile) : undefined;
    dropped = dropPrivileges(values.user ?? config.user, values.group ?? config.group);
  });
  logger.info({ listening: status.listening, domains: config.smtp.domains, dataDir: config.dataDir }, describeStart(config, status.listening));
  if (dropped) logger.info(dropped, `dropped privileges to uid ${dropped.uid} gid ${dropped.gid}`);
  if (metrics) logger.info({ metrics: { host: metrics.host, port: metrics.port } }, `metrics on ${metrics.url}`);
  if (status.inspector) logger.info({ inspector: status.inspector }, `inspector: open ${status.inspector.pageUrl} to watch the machines in Stately's inspector`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping: no new connections, finishing attempts in flight');
      Promise.all([daemon.stop(), metrics?.close()]).then(
        () => { removePid?.(); logger.info('stopped'); logger.flush(); resolve(0); },
        (err: unknown) => { logger.error({ err }, 'stop failed'); logger.flush(); resolve(70); },
      );
    };
    signalled = stop;
    if (early) stop(early);
    process.on('SIGHUP', () => {
      loadConfig(values.config).then(
        (next) => {
          logger.level = next.log.level;
          const needRestart = daemon.reload(next);
          logger.info({ domains: next.smtp.domains, needRestart }, `reloaded: log level, domains and mailboxes applied${needRestart.length ? `; restart to apply ${needRestart.join(', ')}` : ''}`);
        },
        (err: unknown) => logger.error({ err: (err as Error).message }, 'reload failed: keeping the running configuration'),
      );
    });
  });
}
