/**
 * `mailtrail run` as a process: defaults with no config, config errors before listening,
 * a message over SMTP into the Maildir, the per-recipient log line, SIGTERM exit 0 with the
 * pid file removed, and a restart that finds the history.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { smtpSend } from '../support/smtpClient.js';
import { baseConfig, runEntry, startDaemon, tsxLoader, writeConfig } from '../support/daemonProcess.js';
import { waitUntil } from '../support/waitUntil.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mailtrail-run-'));
  dirs.push(d);
  return d;
};
const execFileP = promisify(execFile);

describe('mailtrail run', () => {
  // The default port must not depend on the rest of the machine (a daemon a user left running
  // on 2525, another test): this daemon runs in a network namespace of its own, with only
  // loopback up, and the message is sent by swaks inside that namespace (nsenter).
  it('with no config listens on 127.0.0.1:2525 for localhost into ./var/mail and says so first', async () => {
    const cwd = tempDir();
    const child = spawn(
      'unshare',
      [
        '--net',
        '--',
        'sh',
        '-c',
        'ip link set lo up && exec "$0" "$@"',
        process.execPath,
        '--import',
        tsxLoader,
        runEntry,
        'run',
      ],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const first = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().split('\n')[0]!));
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    try {
      const rec = JSON.parse(first) as { msg: string };
      assert.match(
        rec.msg,
        /listening on 127\.0\.0\.1:2525, accepting mail for localhost, delivering into .*\/var\/mail/,
      );
      const { stdout } = await execFileP('nsenter', [
        `--net=/proc/${child.pid}/ns/net`,
        '--',
        'swaks',
        '--server',
        '127.0.0.1:2525',
        '--from',
        'alice@remote.test',
        '--to',
        'bob@localhost',
        '--header',
        'Subject: default port',
        '--body',
        'hello',
      ]);
      assert.match(stdout, /<- {2}250 2\.0\.0 Ok: queued as [A-Z0-9]+/);
      const newDir = join(cwd, 'var', 'mail', 'localhost', 'bob', 'new');
      await waitUntil(() => existsSync(newDir) && readdirSync(newDir).length > 0, {
        what: `a message in ${newDir}`,
        timeoutMs: 5000,
      });
      assert.equal(readdirSync(newDir).length, 1, 'delivered into ./var/mail/localhost/bob');
      assert.ok(existsSync(join(cwd, 'var', 'events.sqlite')));
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  it('refuses a bad config before listening, naming the file and the key', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 'smtp:\n  listen: 127.0.0.1:2525\n  maxRecipents: 5\n');
    const err = await execFileP(process.execPath, ['--import', tsxLoader, runEntry, 'run', '--config', file]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.ok(err, 'the daemon should have refused to start');
    assert.equal(err.code, 78);
    assert.match(err.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: smtp\\.maxRecipents`));
    assert.doesNotMatch(err.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });

  it('accepts a message, delivers it into the Maildir, logs the outcome, stops on SIGTERM', async () => {
    const dir = tempDir();
    const pidfile = join(dir, 'mailtrail.pid');
    const d = await startDaemon(writeConfig(dir, baseConfig(dir, `pidfile: ${pidfile}\n`)));
    const reply = await smtpSend({
      port: d.port,
      from: 'alice@remote.test',
      to: ['bob@example.test'],
      body: 'Subject: hi\r\n\r\nhello\r\n',
    });
    const id = /queued as ([A-Z0-9.]+)/.exec(reply)?.[1];
    assert.match(reply, /^250 2\.0\.0 Ok: queued as [A-Z0-9]+$/);
    assert.equal(readFileSync(pidfile, 'utf8').trim(), String(d.child.pid));
    const newDir = join(dir, 'mail', 'example.test', 'bob', 'new');
    await waitUntil(() => existsSync(newDir) && readdirSync(newDir).length > 0, {
      what: `a message in ${newDir}`,
      timeoutMs: 5000,
    });
    assert.equal(readdirSync(newDir).length, 1);
    await waitUntil(() => d.lines.some((l) => l.status === 'sent'), { what: 'the status=sent log line' });
    const outcome = d.lines.find((l) => l.status === 'sent');
    assert.ok(outcome, 'one log line per recipient outcome');
    assert.equal(outcome.messageId, id);
    assert.equal(outcome.to, 'bob@example.test');
    assert.equal(outcome.dsn, '2.0.0');
    assert.equal(await d.kill('SIGTERM'), 0);
    assert.equal(existsSync(pidfile), false);
  });

  it('SIGHUP applies new accepted domains without a restart', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, baseConfig(dir));
    const d = await startDaemon(file);
    try {
      await assert.rejects(
        smtpSend({ port: d.port, from: 'a@remote.test', to: ['carol@new.test'], body: 'Subject: x\r\n\r\ny\r\n' }),
        (err: Error & { response?: string }) =>
          /^550 5\.7\.1 <carol@new\.test>: Relay access denied/.test(err.response ?? ''),
      );
      writeConfig(dir, baseConfig(dir).replace('domains: [example.test]', 'domains: [example.test, new.test]'));
      d.child.kill('SIGHUP');
      await waitUntil(() => d.lines.some((l) => /^reloaded/.test(String(l.msg))), { what: 'the reloaded log line' });
      const reply = await smtpSend({
        port: d.port,
        from: 'a@remote.test',
        to: ['carol@new.test'],
        body: 'Subject: x\r\n\r\ny\r\n',
      });
      assert.match(reply, /^250 /);
      const newDir = join(dir, 'mail', 'new.test', 'carol', 'new');
      await waitUntil(() => existsSync(newDir) && readdirSync(newDir).length > 0, {
        what: `a message in ${newDir}`,
        timeoutMs: 5000,
      });
      assert.equal(readdirSync(newDir).length, 1, 'delivered locally: the router knows the new domain too');
    } finally {
      assert.equal(await d.kill('SIGTERM'), 0);
    }
  });
});
