/**
 * `mailtrail run --daemon` (the tutorial's daemonize): the parent returns only once the
 * detached copy listens — exit 0 with its pid, the pid file written, its logs in `--log FILE`,
 * which SIGHUP reopens after logrotate moved it — or once it has failed, with the copy's own
 * exit status and message (a port in use, another daemon on the data) and no process left.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smtpSend } from '../support/smtpClient.js';
import { baseConfig, runEntry, startDaemon, tsxLoader, writeConfig } from '../support/daemonProcess.js';
import { waitUntil } from '../support/waitUntil.js';

const dirs: string[] = [];
const pids: number[] = [];
after(() => {
  for (const pid of pids)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mailtrail-detach-'));
  dirs.push(d);
  return d;
};

function runDaemonized(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, runEntry, 'run', '--daemon', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Whether `check` became true within 20 s (callers assert on it, or on its negation). */
const waitFor = (check: () => boolean): Promise<boolean> =>
  waitUntil(check, { what: 'the condition', timeoutMs: 20_000 }).then(
    () => true,
    () => false,
  );
const logLines = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('run --daemon', () => {
  it('returns once the copy listens: its pid, the pid file, logs in --log FILE, reopened on SIGHUP', async () => {
    const dir = tempDir();
    const pidfile = join(dir, 'mailtrail.pid');
    const log = join(dir, 'mailtrail.log');
    const run = await runDaemonized([
      '--config',
      writeConfig(dir, baseConfig(dir, `pidfile: ${pidfile}\n`)),
      '--log',
      log,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const pid = Number(/daemon started, pid (\d+)/.exec(run.stdout)?.[1]);
    assert.ok(pid > 0, run.stdout);
    pids.push(pid);
    assert.match(run.stdout, new RegExp(`listening on 127\\.0\\.0\\.1:\\d+, .*; logs in ${log}`));
    assert.equal(Number(readFileSync(pidfile, 'utf8')), pid, 'the pid file exists when the parent returns');
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(run.stdout)![1]);
    assert.match(
      await smtpSend({ port, from: 'a@remote.test', to: ['bob@example.test'], body: 'Subject: x\r\n\r\ny\r\n' }),
      /^250 /,
    );
    assert.ok(
      await waitFor(() => logLines(log).some((l) => /^queued as /.test(String(l.msg)))),
      'the detached daemon logs into the file',
    );
    // logrotate: move the file away, SIGHUP, and the daemon writes a new one.
    renameSync(log, `${log}.1`);
    process.kill(pid, 'SIGHUP');
    assert.ok(
      await waitFor(() => existsSync(log) && logLines(log).some((l) => /^reloaded/.test(String(l.msg)))),
      'SIGHUP reopened the log file',
    );
    assert.ok(logLines(log).some((l) => l.msg === 'reopened the log file'));
    process.kill(pid, 'SIGTERM');
    assert.ok(await waitFor(() => !existsSync(pidfile)), 'the pid file is removed on exit');
    assert.ok(await waitFor(() => !alive(pid)));
    assert.ok(logLines(log).some((l) => l.msg === 'stopped'));
  });

  it("exits with the copy's status and message when it fails: a port in use, with --metrics", async () => {
    const dir = tempDir();
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const { port } = busy.address() as { port: number };
    try {
      const pidfile = join(dir, 'mailtrail.pid');
      const file = writeConfig(
        dir,
        baseConfig(dir, `pidfile: ${pidfile}\n`).replace('listen: 127.0.0.1:0', `listen: 127.0.0.1:${port}`),
      );
      const run = await runDaemonized(['--config', file, '--metrics=0', '--log', join(dir, 'mailtrail.log')]);
      assert.equal(run.code, 70);
      assert.match(
        run.stderr,
        new RegExp(
          `^mailtrail run: cannot listen on 127\\.0\\.0\\.1:${port} \\(smtp\\.listen\\): address already in use`,
          'm',
        ),
      );
      assert.doesNotMatch(run.stdout, /daemon started/);
      assert.equal(existsSync(pidfile), false, 'no pid file');
      const fatal = logLines(join(dir, 'mailtrail.log')).find((l) => l.level === 60);
      assert.ok(fatal, 'the failure is in the log file too');
      assert.equal(fatal.exitCode, 70);
    } finally {
      busy.close();
    }
  });

  it('exits 75 naming the holder when another daemon runs on the same data', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, baseConfig(dir));
    const first = await startDaemon(file);
    try {
      const run = await runDaemonized(['--config', file]);
      assert.equal(run.code, 75);
      assert.match(run.stderr, new RegExp(`locked by process ${first.child.pid}`));
    } finally {
      assert.equal(await first.kill('SIGTERM'), 0);
    }
  });
});
