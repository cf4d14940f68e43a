/**
 * Running as the tutorial's step 5 describes: `--user/--group` drop root privileges after the
 * listening socket is bound, and `--daemon` detaches with stdio on /dev/null. Needs root (as
 * CI runs); as another user the privilege test is reported as skipped with the reason.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { smtpSend } from '../support/smtpClient.js';
import { baseConfig, runEntry, startDaemon, tsxLoader, writeConfig } from '../support/daemonProcess.js';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const isRoot = process.getuid?.() === 0;

function statusIds(pid: number): { uid: number; gid: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(status)![1]), gid: Number(/^Gid:\s+(\d+)/m.exec(status)![1]) };
}

describe('running as a daemon', () => {
  it('drops to --user/--group after binding and still delivers', { skip: isRoot ? false : 'needs root to drop privileges' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-priv-'));
    dirs.push(dir);
    for (const sub of ['', 'mail', 'spool']) { mkdirSync(join(dir, sub), { recursive: true }); chownSync(join(dir, sub), 65534, 65534); }
    const d = await startDaemon(writeConfig(dir, baseConfig(dir)), {});
    await d.kill('SIGTERM');
    // The data directory now exists with root-owned files: hand it all to nobody, as an admin would.
    await promisify(execFile)('chown', ['-R', '65534:65534', dir]);
    const file = writeConfig(dir, baseConfig(dir, 'user: nobody\ngroup: nogroup\n'));
    const dropped = await startDaemon(file);
    try {
      for (let i = 0; i < 50 && !dropped.lines.some((l) => /dropped privileges/.test(String(l.msg))); i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(statusIds(dropped.child.pid!), { uid: 65534, gid: 65534 });
      const reply = await smtpSend({ port: dropped.port, from: 'a@remote.test', to: ['bob@example.test'], body: 'Subject: x\r\n\r\ny\r\n' });
      assert.match(reply, /^250 2\.0\.0 Ok: queued as /);
      assert.equal(statSync(join(dir, 'control.sock')).uid, 65534, 'the control socket is made after the drop');
      const newDir = join(dir, 'mail', 'example.test', 'bob', 'new');
      for (let i = 0; i < 200 && !(existsSync(newDir) && readdirSync(newDir).length); i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(statSync(join(newDir, readdirSync(newDir)[0]!)).uid, 65534, 'delivered as the unprivileged user');
    } finally {
      assert.equal(await dropped.kill('SIGTERM'), 0);
    }
  });

  it('--daemon detaches, writes its pid file and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-detach-'));
    dirs.push(dir);
    const pidfile = join(dir, 'mailtrail.pid');
    const file = writeConfig(dir, baseConfig(dir, `pidfile: ${pidfile}\n`).replace('127.0.0.1:0', '127.0.0.1:0'));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsxLoader, runEntry, 'run', '--daemon', '--config', file]);
    const announced = Number(/pid (\d+)/.exec(stdout)?.[1]);
    assert.ok(announced > 0, stdout);
    for (let i = 0; i < 800 && !existsSync(pidfile); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(Number(readFileSync(pidfile, 'utf8')), announced);
    process.kill(announced, 'SIGTERM');
    for (let i = 0; i < 800 && existsSync(pidfile); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(existsSync(pidfile), false, 'the pid file is removed on exit');
  });
});
