/**
 * A lost event log never costs the queue: the real daemon, with mail queued behind a relay
 * that is down (a pipe exiting 75), is stopped; then its log is truncated to 0 bytes, deleted,
 * or `eventLog.path` is pointed at a new file. Each time `mailtrail run` refuses to start
 * (exit 66, naming the log, the spool and the way out), creates no log and leaves every body.
 * `mailtrail requeue --from-spool` then rebuilds the queue from the envelopes stored with the
 * bodies, marked `recovered`. While it runs, the log files are mode 0600.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../cli/cliProcess.js';
import { smtpSend } from '../support/smtpClient.js';
import { startDaemon, writeConfig } from '../support/daemonProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-lostlog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const config = (logPath?: string) => `hostname: mx.example.test
dataDir: ${dir}
smtp:
  listen: 127.0.0.1:0
  domains: [example.test]
relay: { type: pipe, command: ['/bin/sh', '-c', 'exit 75'] }
${logPath ? `eventLog: { type: sqlite, path: ${logPath} }\n` : ''}log: { level: info }
`;

const logPath = join(dir, 'events.sqlite');
const bodiesDir = join(dir, 'spool', 'bodies');
const bodies = () => readdirSync(bodiesDir).sort();

async function refusedStart(file: string, how: RegExp, path = logPath): Promise<void> {
  await assert.rejects(startDaemon(file), (err: Error) => {
    assert.match(err.message, /exited 66 before listening/);
    assert.match(err.message, how);
    assert.ok(err.message.includes(path), 'the message names the log');
    assert.ok(err.message.includes(bodiesDir), 'the message names the spool');
    assert.match(err.message, /mailtrail requeue --from-spool --config /);
    return true;
  });
}

describe('a lost or empty event log', () => {
  it('refuses to start and keeps every body; requeue --from-spool rebuilds the queue', async () => {
    const file = writeConfig(dir, config());
    const d = await startDaemon(file);
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const reply = await smtpSend({ port: d.port, from: 'alice@remote.test', to: [`user${n}@example.test`], body: `Subject: m${n}\r\n\r\nbody ${n}\r\n` });
      ids.push(/queued as (\S+)/.exec(reply)![1]!);
    }
    for (const f of [logPath, `${logPath}-wal`, `${logPath}-shm`]) assert.equal(statSync(f).mode & 0o777, 0o600, `${f} is 0600`);
    await d.kill('SIGTERM');
    assert.deepEqual(bodies(), [...ids].sort());

    truncateSync(logPath, 0);
    await refusedStart(file, /events\.sqlite is empty \(0 bytes\), but the spool .* holds 5 message bodies/);
    assert.equal(statSync(logPath).size, 0, 'the log was not initialised');

    rmSync(logPath);
    rmSync(`${logPath}-wal`, { force: true });
    rmSync(`${logPath}-shm`, { force: true });
    await refusedStart(file, /events\.sqlite is missing/);
    assert.equal(existsSync(logPath), false, 'no empty log was created');

    const other = join(dir, 'elsewhere.sqlite');
    await refusedStart(writeConfig(dir, config(other)), /elsewhere\.sqlite is missing/, other);
    assert.equal(existsSync(other), false);
    assert.deepEqual(bodies(), [...ids].sort(), 'every body is still in the spool');
    assert.equal(existsSync(join(dir, 'spool', 'quarantine')), false, 'nothing was quarantined');

    // The way out named in the message: rebuild the queue from the spool.
    writeConfig(dir, config());
    const check = await runCli(['check', '--config', file]);
    assert.equal(check.code, 1);
    assert.match(check.stderr, /problem: the event log .* is missing but .* holds 5 bodies/);
    const requeued = await runCli(['requeue', '--from-spool', '--config', file]);
    assert.equal(requeued.code, 0, requeued.stderr);
    assert.match(requeued.stdout, /requeued 5 of 5 unknown spooled bodies/);
    assert.equal(statSync(logPath).mode & 0o777, 0o600, 'the new log is 0600');
    const again = await startDaemon(file);
    try {
      const queue = JSON.parse((await runCli(['queue', '--json', '--config', file])).stdout) as { id: string; recipients: { address: string }[] }[];
      assert.deepEqual(queue.map((m) => m.id).sort(), [...ids].sort());
      assert.deepEqual(queue.find((m) => m.id === ids[3])!.recipients.map((r) => r.address), ['user3@example.test']);
      const history = await runCli(['history', ids[0]!, '--config', file]);
      assert.match(history.stdout, /MessageReceived .* recovered=spool/);
      assert.equal((await runCli(['check', '--config', file])).code, 0);
    } finally {
      await again.kill('SIGTERM');
    }
  });
});
