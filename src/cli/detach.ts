/**
 * `run --daemon` (the tutorial's daemonize + redirect_stdio): the parent starts a detached copy
 * of `run` (its own session, stdio on /dev/null, an IPC channel) and waits for its start-up
 * report. It exits 0 once the copy listens (printing its pid and where its logs go), or with
 * the copy's own exit status and message when the start fails, or when it dies first. The
 * copy reports through `startReporter()` and then closes the channel; its logs go to `--log
 * FILE`, or nowhere.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';

/** Set by the parent for the copy only (and removed by the copy at once: relays never see it). */
const REPORT_ENV = 'MAILTRAIL_START_REPORT';

export type StartReport =
  | { readonly type: 'listening'; readonly pid: number; readonly text: string }
  | { readonly type: 'failed'; readonly code: number; readonly message: string };

/** In the copy: a function that sends the start-up report to a waiting parent (a no-op without one). */
export function startReporter(): (report: StartReport) => void {
  const wanted = process.env[REPORT_ENV] === 'ipc';
  delete process.env[REPORT_ENV];
  if (!wanted || typeof process.send !== 'function') return () => undefined;
  let sent = false;
  return (report) => {
    if (sent || !process.connected) return;
    sent = true;
    process.send!(report, undefined, {}, () => {
      if (process.connected) process.disconnect();
    });
  };
}

/** In the parent: start the copy, wait for its report, return the exit code. */
export function detach(args: readonly string[], logFile: string | undefined): Promise<number> {
  const rest = args.filter((a) => a !== '--daemon');
  const devnull = openSync('/dev/null', 'r+');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'run', ...rest], {
    detached: true,
    stdio: [devnull, devnull, devnull, 'ipc'],
    env: { ...process.env, [REPORT_ENV]: 'ipc' },
  });
  return new Promise<number>((resolve) => {
    let done = false;
    let failure: Extract<StartReport, { type: 'failed' }> | undefined;
    let exited: string | undefined;
    let exitCode = 70;
    const finish = (code: number, line: string, to: NodeJS.WriteStream) => {
      if (done) return;
      done = true;
      to.write(line);
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
      resolve(code);
    };
    // A failure is reported once the copy has exited and its channel is drained, so no
    // process outlives it and no report is lost to the race between the two.
    const settle = () => {
      if (exited === undefined || child.connected) return;
      if (failure) finish(failure.code, `mailtrail run: ${failure.message}\n`, process.stderr);
      else finish(exitCode, `mailtrail run: the daemon exited (${exited}) before listening\n`, process.stderr);
    };
    child.on('message', (report: StartReport) => {
      if (report.type === 'listening') {
        const logs = logFile ? `logs in ${logFile}` : 'logs discarded: pass --log FILE to keep them';
        finish(0, `mailtrail: daemon started, pid ${report.pid}: ${report.text}; ${logs}\n`, process.stdout);
      } else {
        failure = report;
      }
    });
    child.on('disconnect', settle);
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `status ${code}`;
      exitCode = code || 70;
      settle();
    });
    child.once('error', (err) =>
      finish(70, `mailtrail run: cannot start the daemon: ${err.message}\n`, process.stderr),
    );
  });
}
