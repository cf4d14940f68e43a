/**
 * A lost event log never costs the queue: the real daemon, with mail queued behind a relay
 * that is down (a pipe exiting 75), is stopped; then its log is truncated to 0 bytes, deleted,
 * or `eventLog.path` is pointed at a new file. Each time `mailtrail run` refuses to start
 * (exit 66, naming the log, the spool and the way out), creates no log and leaves every body.
 * `mailtrail requeue --from-spool` then rebuilds the queue from the envelopes stored with the
 * bodies, marked `recovered`. While it runs, the log files are mode 0600. A `-wal` cut short
 * after a SIGKILL loses the log's last transactions: their bodies are quarantined, not
 * deleted, and `requeue --quarantined` brings every acknowledged message back.
 * All of this is about bodies kept as files (`spool.inlineThreshold: 0` here): an inline body
 * lives in the log and is lost with it (docs/spool.md, "Inline bodies").
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../cli/cliProcess.js';
import { smtpSend } from '../support/smtpClient.js';
import { startDaemon, writeConfig } from '../support/daemonProcess.js';
import { waitUntil } from '../support/waitUntil.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-lostlog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const config = (logPath?: string, dataDir = dir) => `hostname: mx.example.test
dataDir: ${dataDir}
smtp:
  listen: 127.0.0.1:0
  domains: [example.test]
relay: { type: pipe, command: ['/bin/sh', '-c', 'exit 75'] }
${logPath ? `eventLog: { type: sqlite, path: ${logPath} }\n` : ''}log: { level: info }
spool: { inlineThreshold: 0 }
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
      const reply = await smtpSend({
        port: d.port,
        from: 'alice@remote.test',
        to: [`user${n}@example.test`],
        body: `Subject: m${n}\r\n\r\nbody ${n}\r\n`,
      });
      ids.push(/queued as (\S+)/.exec(reply)![1]!);
    }
    for (const f of [logPath, `${logPath}-wal`, `${logPath}-shm`])
      assert.equal(statSync(f).mode & 0o777, 0o600, `${f} is 0600`);
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
      const queue = JSON.parse((await runCli(['queue', '--json', '--config', file])).stdout) as {
        id: string;
        recipients: { address: string }[];
      }[];
      assert.deepEqual(queue.map((m) => m.id).sort(), [...ids].sort());
      assert.deepEqual(
        queue.find((m) => m.id === ids[3])!.recipients.map((r) => r.address),
        ['user3@example.test'],
      );
      const history = await runCli(['history', ids[0]!, '--config', file]);
      assert.match(history.stdout, /MessageReceived .* recovered=spool/);
      assert.equal((await runCli(['check', '--config', file])).code, 0);
    } finally {
      await again.kill('SIGTERM');
    }
  });

  it('a -wal cut short after a crash loses no acknowledged message: its bodies are quarantined and requeued', async () => {
    const walDir = join(dir, 'wal');
    mkdirSync(walDir);
    const file = writeConfig(walDir, config(undefined, walDir));
    const walLog = join(walDir, 'events.sqlite');
    const send = async (port: number, n: number) =>
      /queued as (\S+)/.exec(
        await smtpSend({
          port,
          from: 'alice@remote.test',
          to: [`user${n}@example.test`],
          body: `Subject: w${n}\r\n\r\nbody ${n}\r\n`,
        }),
      )![1]!;
    const ids: string[] = [];
    const d = await startDaemon(file);
    for (let n = 0; n < 10; n++) ids.push(await send(d.port, n));
    await d.kill('SIGTERM'); // a clean stop checkpoints these into events.sqlite
    const d2 = await startDaemon(file);
    for (let n = 10; n < 20; n++) ids.push(await send(d2.port, n));
    await d2.kill('SIGKILL');
    truncateSync(`${walLog}-wal`, Math.floor(statSync(`${walLog}-wal`).size / 3));

    const d3 = await startDaemon(file);
    try {
      // The sweep runs once the daemon listens: its warning follows the listening line.
      const warning = await waitUntil(() => d3.lines.find((l) => l.level === 40 && typeof l.quarantined === 'number'), {
        what: 'the lost messages to be reported',
      });
      const lost = warning.quarantined as number;
      assert.ok(lost >= 1 && lost <= 10, `quarantined ${lost}`);
      assert.equal(readdirSync(join(walDir, 'spool', 'quarantine')).length, lost);
      const requeue = await runCli(['requeue', '--quarantined', '--config', file]);
      assert.equal(requeue.code, 0, requeue.stderr);
      assert.match(requeue.stdout, new RegExp(`requeued ${lost} of ${lost} quarantined bodies`));
      const queue = JSON.parse((await runCli(['queue', '--json', '--config', file])).stdout) as { id: string }[];
      assert.deepEqual(queue.map((m) => m.id).sort(), [...ids].sort(), 'every acknowledged message is queued');
      const check = await runCli(['check', '--config', file]);
      assert.equal(check.code, 0, check.stderr);
      assert.match(check.stdout, /quarantine .*: 0 bodies/);
    } finally {
      await d3.kill('SIGTERM');
    }
  });
});
