/**
 * `mailtrail check` on a data directory the real daemon wrote (mail deferred behind a relay
 * that is down): ok on a healthy one (the bundled SQLite's quick_check, which Debian 12's
 * sqlite3 3.40.1 gets wrong for this schema), exit 1 with a `problem:` line for a live message
 * whose body is gone, for a body no message names, and for a damaged database; 78 for a bad config.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { smtpSend } from '../support/smtpClient.js';
import { startDaemon, writeConfig } from '../support/daemonProcess.js';
import { runCli } from './cliProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('mailtrail check', () => {
  it('says ok for a healthy data directory and names each problem otherwise', async () => {
    const file = writeConfig(
      dir,
      `hostname: mx.example.test
dataDir: ${dir}
smtp:
  listen: 127.0.0.1:0
  domains: [example.test]
relay: { type: pipe, command: ['/bin/sh', '-c', 'exit 75'] }
log: { level: info }
spool: { inlineThreshold: 0 }
`,
    );
    // Bodies as files (inlineThreshold 0), so the test can take one away and add a stray one.
    const d = await startDaemon(file);
    const ids: string[] = [];
    for (let n = 0; n < 3; n++)
      ids.push(
        /queued as (\S+)/.exec(
          await smtpSend({
            port: d.port,
            from: 'alice@remote.test',
            to: ['bob@example.test'],
            body: `Subject: ${n}\r\n\r\nbody\r\n`,
          }),
        )![1]!,
      );
    const running = await runCli(['check', '--config', file]);
    assert.equal(running.code, 0, running.stderr);
    await d.kill('SIGTERM');

    const ok = await runCli(['check', '--config', file]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /event log .*events\.sqlite: quick_check ok \(bundled SQLite [0-9.]+\)/);
    assert.match(ok.stdout, /3 bodies, 3 live messages; 0 live without a body, 0 bodies without a message/);
    assert.match(ok.stdout, /mailtrail check: ok$/m);

    const bodies = join(dir, 'spool', 'bodies');
    renameSync(join(bodies, ids[0]!), join(dir, 'aside'));
    const missing = await runCli(['check', '--config', file]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`problem: 1 live messages have no body in the spool \\(${ids[0]}\\)`));
    renameSync(join(dir, 'aside'), join(bodies, 'STRAY1'));
    const stray = await runCli(['check', '--config', file]);
    assert.equal(stray.code, 1);
    assert.match(stray.stderr, /problem: 1 spooled bodies belong to no message in the log \(STRAY1\)/);
    renameSync(join(bodies, 'STRAY1'), join(bodies, ids[0]!));

    // Garbage over the second page onwards: the bundled SQLite finds it.
    const log = join(dir, 'events.sqlite');
    const fd = openSync(log, 'r+');
    writeSync(fd, Buffer.alloc(Math.min(8192, statSync(log).size - 4096), 0x5a), 0, undefined, 4096);
    closeSync(fd);
    const damaged = await runCli(['check', '--config', file]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stderr, /problem: the event log .*events\.sqlite (is damaged|cannot be opened)/);

    writeConfig(dir, 'smtp:\n  lisen: 25\n');
    const bad = await runCli(['check', '--config', file]);
    assert.equal(bad.code, 78);
    assert.match(bad.stderr, /configuration error: .*mailtrail\.yaml: smtp\.lisen: unknown key/);
  });
});
