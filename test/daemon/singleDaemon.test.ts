/**
 * One daemon per data directory (Postfix's master lock): a second `mailtrail run` on the same
 * data — on another port or on the same one — exits at once with 75 (EX_TEMPFAIL), naming the
 * pid that holds `<dataDir>/mailtrail.lock`, before any recovery and without appending an
 * event; the first keeps serving and stops on the first SIGTERM. The read-only CLI still reads
 * the log beside it. A daemon killed with SIGKILL leaves no lock behind: a restart at once starts.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { smtpSend } from '../support/smtpClient.js';
import { baseConfig, runEntry, startDaemon, tsxLoader, writeConfig } from '../support/daemonProcess.js';
import { waitUntil } from '../support/waitUntil.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mailtrail-single-'));
  dirs.push(d);
  return d;
};

function eventCount(dir: string, type?: string): number {
  const db = new Database(join(dir, 'events.sqlite'), { readonly: true });
  try {
    const sql = `SELECT count(*) AS n FROM events${type ? ' WHERE type = ?' : ''}`;
    return (db.prepare(sql).get(...(type ? [type] : [])) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Runs `mailtrail run` to its exit: code, stdout, stderr. */
function runToExit(configFile: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, runEntry, 'run', '--config', configFile], {
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

const send = (port: number) =>
  smtpSend({ port, from: 'a@remote.test', to: ['bob@example.test'], body: 'Subject: x\r\n\r\ny\r\n' });

describe('one daemon per data directory', () => {
  it('refuses a second daemon on another port and on the same port, at once, naming the pid, with no recovery and no event', async () => {
    const dir = tempDir();
    const first = await startDaemon(writeConfig(dir, baseConfig(dir)));
    try {
      assert.match(await send(first.port), /^250 /);
      const newDir = join(dir, 'mail', 'example.test', 'bob', 'new');
      await waitUntil(() => existsSync(newDir) && readdirSync(newDir).length > 0, {
        what: `a message in ${newDir}`,
        timeoutMs: 5000,
      });
      // The delivery and the session's close are committed after the file appears: count once they are in.
      await waitUntil(() => eventCount(dir, 'DeliverySucceeded') === 1 && eventCount(dir, 'SessionClosed') === 1, {
        what: 'the delivery and the session close in the log',
        timeoutMs: 5000,
      });
      const before = eventCount(dir);
      const sameData = (listen: string) =>
        writeConfig(tempDir(), baseConfig(dir).replace('listen: 127.0.0.1:0', `listen: ${listen}`));
      for (const listen of ['127.0.0.1:0', `127.0.0.1:${first.port}`]) {
        const second = await runToExit(sameData(listen));
        assert.equal(second.code, 75, `listen ${listen}: ${second.stderr}`);
        assert.match(
          second.stderr,
          new RegExp(
            `^mailtrail run: ${join(dir, 'mailtrail.lock')} is locked by process ${first.child.pid}: another mailtrail daemon`,
            'm',
          ),
        );
        assert.doesNotMatch(second.stdout, /recovered|listening on/, 'no recovery, no listener');
        assert.doesNotMatch(second.stderr, /EADDRINUSE/);
      }
      assert.equal(eventCount(dir), before, 'the second daemons appended nothing');
      // The read-only CLI reads the log beside the running daemon.
      const queue = await promisify(execFile)(process.execPath, [
        '--import',
        tsxLoader,
        runEntry,
        'queue',
        '--all',
        '--config',
        join(dir, 'mailtrail.yaml'),
      ]);
      assert.match(queue.stdout, /delivered/);
      assert.match(await send(first.port), /^250 /, 'the first one still accepts mail');
    } finally {
      assert.equal(await first.kill('SIGTERM'), 0, 'the first SIGTERM stops the first daemon');
    }
  });

  it('starts at once after the holder was killed with SIGKILL (no stale lock)', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, baseConfig(dir));
    const first = await startDaemon(file);
    assert.equal(await first.kill('SIGKILL'), null);
    const again = await startDaemon(file);
    try {
      assert.match(await send(again.port), /^250 2\.0\.0 Ok: queued as /);
    } finally {
      assert.equal(await again.kill('SIGTERM'), 0);
    }
  });

  it('locks the directory of an event log kept outside the data directory too', async () => {
    const logDir = tempDir();
    const a = tempDir();
    const b = tempDir();
    const withLog = (dir: string) =>
      writeConfig(dir, baseConfig(dir, `eventLog: { type: sqlite, path: ${join(logDir, 'events.sqlite')} }\n`));
    const first = await startDaemon(withLog(a));
    try {
      const second = await runToExit(withLog(b));
      assert.equal(second.code, 75, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(`${join(logDir, 'mailtrail.lock')} is locked by process ${first.child.pid}`),
      );
    } finally {
      assert.equal(await first.kill('SIGTERM'), 0);
    }
  });
});
