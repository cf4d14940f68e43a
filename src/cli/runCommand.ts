/**
 * `mailtrail run [--config FILE] [--user U] [--group G] [--pidfile F] [--daemon] [--log FILE]`: the daemon.
 * With no config it listens on 127.0.0.1:2525, accepts mail for `localhost` and delivers into
 * ./var/mail, and says so in its first log line. A bad config exits 78 (EX_CONFIG) before
 * listening, naming file and key; a lost event log while bodies are spooled exits 66 (EX_NOINPUT,
 * src/daemon/lostLogGuard.ts). SIGTERM/SIGINT stop cleanly (exit 0); SIGHUP reloads the
 * log level, accepted domains and mailboxes, reports what needs a restart, and reopens `--log`.
 * Privileges are dropped after binding. A failed start undoes what it started and exits
 * non-zero (startFailure.ts), whatever else was started; `--daemon` reports it (detach.ts).
 * `--metrics[=PORT]` serves Prometheus metrics on 127.0.0.1 (default 9465; src/metrics).
 * `--inspect[=PORT] [--inspect-addresses=show|mask]` serves the Stately inspector relay on 127.0.0.1 (default 8080; src/inspect).
 */
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkRelayPrograms, checkTlsFiles, loadConfig, type Config } from '../config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { MailtrailError } from '../errors/mailtrailError.js';
import { writePidfile } from '../daemon/pidfile.js';
import { dropPrivileges, resolveIdentity } from '../daemon/privileges.js';
import { createLogger, reopenLogFile, type Logger } from '../logging/logger.js';
import { parseMetricsPort, startMetrics, type RunningMetrics } from '../metrics/index.js';
import { parseAddressMode, parseInspectPort } from '../inspect/inspectFlags.js';
import { detach, startReporter } from './detach.js';
import { EX_TEMPFAIL, startFailure } from './startFailure.js';

export const options = {
  config: { type: 'string', short: 'c' },
  user: { type: 'string' },
  group: { type: 'string' },
  pidfile: { type: 'string' },
  daemon: { type: 'boolean' },
  metrics: { type: 'string' },
  inspect: { type: 'string' },
  'inspect-addresses': { type: 'string' },
  log: { type: 'string' },
} as const;

function describeStart(config: Config, listening: readonly { host: string; port: number }[]): string {
  const where = listening
    .map((l) => (l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`))
    .join(', ');
  const relay = config.relay.type === 'maildir' ? `into ${config.relay.root}` : `with the ${config.relay.type} relay`;
  return `mailtrail listening on ${where}, accepting mail for ${config.smtp.domains.join(', ')}, delivering ${relay}, data in ${config.dataDir}${config.file ? ` (config ${config.file})` : ' (no config file: defaults)'}`;
}

export async function run(args: readonly string[]): Promise<number> {
  // `--metrics` alone means the default port: parseArgs has no optional values, so it becomes `--metrics=`.
  const { values } = parseArgs({
    args: args.map((a) => (a === '--metrics' ? '--metrics=' : a === '--inspect' ? '--inspect=' : a)),
    options,
    allowPositionals: false,
  });
  const logFile = values.log === undefined ? undefined : resolve(values.log);
  if (values.daemon) return detach(args, logFile);
  const report = startReporter();
  const fail = (err: unknown, logger?: Logger): number => {
    const { code, message } = startFailure(err);
    // A mailtrail error's message says it all; anything else keeps its stack, in the log only.
    logger?.fatal(
      { ...(err instanceof MailtrailError ? { code: err.code } : { err }), exitCode: code },
      `start failed: ${message}`,
    );
    logger?.flush();
    process.stderr.write(`mailtrail run: ${message}\n`);
    report({ type: 'failed', code, message });
    return code;
  };
  let config: Config;
  try {
    config = await loadConfig(values.config);
    checkRelayPrograms(config);
    checkTlsFiles(config);
    // An unknown user or an unwritable log file stops the start before anything is made.
    resolveIdentity(values.user ?? config.user, values.group ?? config.group);
    if (logFile) closeSync(openSync(logFile, 'a', 0o640));
  } catch (err) {
    return fail(err);
  }
  const logger: Logger = createLogger({
    level: config.log.level,
    pretty: config.log.pretty,
    ...(logFile ? { destination: logFile } : {}),
  });
  // Signals are caught from here on: one that arrives while starting stops the daemon once started.
  let signalled: ((signal: string) => void) | undefined;
  let early: string | undefined;
  const onSignal = (signal: string) => {
    if (signalled) signalled(signal);
    else early ??= signal;
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  const pidfile = values.pidfile ?? config.pidfile;
  let daemon: Daemon | undefined;
  let metrics: RunningMetrics | undefined;
  let removePid: (() => void) | undefined;
  let dropped: ReturnType<typeof dropPrivileges>;
  let status: Awaited<ReturnType<Daemon['start']>>;
  let starting = false;
  try {
    const inspect =
      values.inspect === undefined
        ? {}
        : {
            inspect: {
              port: parseInspectPort(values.inspect),
              addresses: parseAddressMode(values['inspect-addresses']),
            },
          };
    daemon = await Daemon.create(config, logger, inspect);
    const started = daemon;
    metrics =
      values.metrics === undefined
        ? undefined
        : await startMetrics({
            log: started.queue.log,
            queue: started.queue,
            port: parseMetricsPort(values.metrics),
            logger,
          });
    // Once the ports are bound: the pid file (still as root), then the privilege drop (the
    // daemon's files handed to the mail user first, checked writable after), before any
    // recovered delivery runs and before the control socket is created.
    starting = true;
    status = await started.start(() => {
      removePid = pidfile ? writePidfile(pidfile) : undefined;
      const user = values.user ?? config.user;
      const group = values.group ?? config.group;
      // Listed only for a drop: it walks the spool (every body file).
      if (user === undefined && group === undefined) return;
      const owned = started.ownedFiles();
      dropped = dropPrivileges(user, group, {
        handOver: [...owned.handOver, ...(logFile ? [logFile] : [])],
        writable: owned.writable,
      });
    });
  } catch (err) {
    // Undo whatever started (daemon.start() has undone its own parts), so the process exits.
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    await metrics?.close().catch(() => undefined);
    if (daemon && !starting) await daemon.stop(0).catch(() => undefined);
    removePidfile(removePid, logger);
    const code = fail(err, logger);
    // Nothing should be left to hold the event loop; if something is, do not hang (9.4).
    setTimeout(() => process.exit(code), 5_000).unref();
    return code;
  }
  const startedDaemon = daemon;
  logger.info(
    { listening: status.listening, domains: config.smtp.domains, dataDir: config.dataDir },
    describeStart(config, status.listening),
  );
  if (dropped) logger.info(dropped, `dropped privileges to uid ${dropped.uid} gid ${dropped.gid}`);
  if (metrics) logger.info({ metrics: { host: metrics.host, port: metrics.port } }, `metrics on ${metrics.url}`);
  if (status.inspector)
    logger.info(
      { inspector: status.inspector },
      `inspector: open ${status.inspector.pageUrl} to watch the machines in Stately's inspector`,
    );
  report({ type: 'listening', pid: process.pid, text: describeStart(config, status.listening) });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string, code = 0) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping: no new connections, finishing attempts in flight');
      Promise.all([startedDaemon.stop(), metrics?.close()]).then(
        () => {
          removePidfile(removePid, logger);
          logger.info({ exitCode: code }, 'stopped');
          logger.flush();
          resolve(code);
        },
        (err: unknown) => {
          logger.error({ err }, 'stop failed');
          logger.flush();
          resolve(70);
        },
      );
    };
    signalled = stop;
    if (early) stop(early);
    // The log refused a delivery outcome after every retry: stop rather than lose track (Postfix), exit 75.
    startedDaemon.onFatal((err) => {
      process.stderr.write(`mailtrail run: ${err.message}\n`);
      stop('fatal', EX_TEMPFAIL);
    });
    process.on('SIGHUP', () => {
      if (reopenLogFile(logger)) logger.info({ file: logFile }, 'reopened the log file');
      loadConfig(values.config).then(
        (next) => {
          logger.level = next.log.level;
          const needRestart = startedDaemon.reload(next);
          logger.info(
            { domains: next.smtp.domains, needRestart },
            `reloaded: log level, domains and mailboxes applied${needRestart.length ? `; restart to apply ${needRestart.join(', ')}` : ''}`,
          );
        },
        (err: unknown) =>
          logger.error({ err: (err as Error).message }, 'reload failed: keeping the running configuration'),
      );
    });
  });
}

/** The pid file goes at exit; after a privilege drop its directory may refuse: say so, go on. */
function removePidfile(remove: (() => void) | undefined, logger: Logger): void {
  try {
    remove?.();
  } catch (err) {
    logger.warn({ err }, 'could not remove the pid file');
  }
}
