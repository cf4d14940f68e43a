/**
 * Durability proven from a system-call trace (a SIGKILL cannot catch a missing fsync: the page
 * cache survives it). The daemon runs under `strace -f`; for every message the client saw
 * acknowledged: with bodies as files (`spool.inlineThreshold: 0`), the body file's fsync and
 * its directory's fsync happen before the MessageReceived row is written to the WAL; with
 * inline bodies (the default), no body file is written or fsynced and the body's bytes reach
 * the WAL before the same commit; either way the WAL's fsync follows the row and precedes the
 * `250 … queued as <id>` written to the socket. For every delivery the Maildir file's fsync,
 * its link() into new/ and new/'s fsync happen before the DeliverySucceeded row and the WAL
 * fsync that commits it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smtpSend } from '../support/smtpClient.js';
import { baseConfig, runEntry, tsxLoader, writeConfig } from '../support/daemonProcess.js';
import { readStraceLog, type TracedCall } from '../support/straceLog.js';
import { waitUntil } from '../support/waitUntil.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-strace-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function haveStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const first = (calls: TracedCall[], pred: (c: TracedCall) => boolean, what: string): TracedCall => {
  const c = calls.find(pred);
  assert.ok(c, `no ${what} in the trace`);
  return c;
};
const isSync = (c: TracedCall) => c.name === 'fsync' || c.name === 'fdatasync';
const onWal = (c: TracedCall) => c.args.includes('events.sqlite-wal>');

/** Runs the daemon under strace, sends five messages, waits for their delivery, stops it. */
async function traced(
  dir: string,
  extra: string,
): Promise<{ calls: TracedCall[]; sent: { id: string; rcpt: string; token: string }[] }> {
  const pidfile = join(dir, 'daemon.pid');
  const config = writeConfig(dir, baseConfig(dir, `pidfile: ${pidfile}\n${extra}`));
  const trace = join(dir, 'trace.txt');
  const child = spawn(
    'strace',
    [
      '-f',
      '-ttt',
      '-y',
      '-s',
      '8192',
      '-e',
      'trace=fsync,fdatasync,pwrite64,write,writev,link,linkat',
      '-o',
      trace,
      process.execPath,
      '--import',
      tsxLoader,
      runEntry,
      'run',
      '--config',
      config,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((r) => child.on('exit', r));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"listening":\[\{"host":"[^"]+","port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error('daemon exited before listening')));
  });
  const sent: { id: string; rcpt: string; token: string }[] = [];
  for (let i = 1; i <= 5; i++) {
    const rcpt = `u${i}@example.test`;
    const token = `body-token-${i}-${'b'.repeat(40)}`;
    const reply = await smtpSend({
      port,
      from: 'alice@remote.test',
      to: [rcpt],
      body: `Subject: m${i}\r\n\r\n${token}\r\n`,
    });
    sent.push({ id: /queued as ([A-Z0-9]+)/.exec(reply)![1]!, rcpt, token });
  }
  for (const { rcpt } of sent) {
    const newDir = join(dir, 'mail', 'example.test', rcpt.split('@')[0]!, 'new');
    await waitUntil(() => existsSync(newDir) && readdirSync(newDir).length > 0, {
      what: `a message in ${newDir}`,
      timeoutMs: 10000,
    });
  }
  await new Promise((r) => setTimeout(r, 300));
  process.kill(Number(readFileSync(pidfile, 'utf8')), 'SIGTERM');
  await exited;

  return { calls: readStraceLog(trace), sent };
}

/** Every delivery: Maildir file fsync, link into new/, new/'s fsync, then the outcome and its commit. */
function assertDeliveriesDurable(calls: TracedCall[], sent: readonly { rcpt: string }[]): void {
  for (const { rcpt } of sent) {
    const [local] = rcpt.split('@') as [string];
    const link = first(
      calls,
      (c) => c.name === 'link' && c.args.includes(`/example.test/${local}/new/`),
      `link into ${local}/new`,
    );
    const fileSync = first(
      calls,
      (c) => isSync(c) && c.args.includes(`/example.test/${local}/tmp/`),
      `Maildir file fsync for ${local}`,
    );
    const newSync = first(
      calls,
      (c) => isSync(c) && c.args.includes(`/example.test/${local}/new>`) && c.start >= link.end,
      `new/ fsync for ${local}`,
    );
    const outcome = first(
      calls,
      (c) => c.name === 'pwrite64' && onWal(c) && c.args.includes(`DeliverySucceeded{\\"recipient\\":\\"${rcpt}\\"`),
      `WAL write of DeliverySucceeded ${rcpt}`,
    );
    first(calls, (c) => isSync(c) && onWal(c) && c.start >= outcome.end, `WAL fsync after DeliverySucceeded ${rcpt}`);
    assert.ok(fileSync.end <= link.start, `${rcpt}: file fsync before link`);
    assert.ok(newSync.end <= outcome.start, `${rcpt}: new/ fsync before DeliverySucceeded is written`);
  }
}

describe('fsync order under strace', () => {
  it('bodies as files: every 250 follows the fsyncs of its body, its directory and its log commit; every delivery is durable before it is recorded', async () => {
    assert.ok(haveStrace(), 'strace is not installed (.ci/run installs it)');
    const at = mkdtempSync(join(dir, 'files-'));
    const { calls, sent } = await traced(at, 'spool: { inlineThreshold: 0 }\n');
    for (const { id } of sent) {
      const reply = first(
        calls,
        (c) => (c.name === 'write' || c.name === 'writev') && c.args.includes(`queued as ${id}`),
        `250 for ${id}`,
      );
      const bodySync = first(
        calls,
        (c) => isSync(c) && c.args.includes(`/spool/bodies/${id}>`),
        `body fsync for ${id}`,
      );
      const dirSync = first(
        calls,
        (c) => isSync(c) && c.args.includes('/spool/bodies>') && c.start >= bodySync.end,
        `bodies/ fsync after ${id}'s body`,
      );
      const row = first(
        calls,
        (c) => c.name === 'pwrite64' && onWal(c) && c.args.includes(`MessageReceived{\\"messageId\\":\\"${id}\\"`),
        `WAL write of MessageReceived ${id}`,
      );
      const commit = first(
        calls,
        (c) => isSync(c) && onWal(c) && c.start >= row.end,
        `WAL fsync after MessageReceived ${id}`,
      );
      assert.ok(dirSync.end <= row.start, `${id}: directory fsync must finish before the event is written`);
      assert.ok(
        commit.end <= reply.start,
        `${id}: the log's fsync must finish before the 250 is written (line ${commit.line} vs ${reply.line})`,
      );
    }
    assertDeliveriesDurable(calls, sent);
  });

  it('inline bodies: no body file; body and MessageReceived reach the WAL before the one fsync that precedes each 250', async () => {
    assert.ok(haveStrace(), 'strace is not installed (.ci/run installs it)');
    const at = mkdtempSync(join(dir, 'inline-'));
    const { calls, sent } = await traced(at, '');
    assert.equal(calls.filter((c) => c.args.includes('/spool/bodies/')).length, 0, 'no system call on a body file');
    for (const { id, token } of sent) {
      const reply = first(
        calls,
        (c) => (c.name === 'write' || c.name === 'writev') && c.args.includes(`queued as ${id}`),
        `250 for ${id}`,
      );
      const row = first(
        calls,
        (c) => c.name === 'pwrite64' && onWal(c) && c.args.includes(`MessageReceived{\\"messageId\\":\\"${id}\\"`),
        `WAL write of MessageReceived ${id}`,
      );
      const body = first(
        calls,
        (c) => c.name === 'pwrite64' && onWal(c) && c.args.includes(token),
        `WAL write of ${id}'s body`,
      );
      const commit = first(
        calls,
        (c) => isSync(c) && onWal(c) && c.start >= Math.max(row.end, body.end),
        `WAL fsync after MessageReceived ${id} and its body`,
      );
      assert.ok(
        commit.end <= reply.start,
        `${id}: the log's fsync must finish before the 250 is written (line ${commit.line} vs ${reply.line})`,
      );
    }
    assertDeliveriesDurable(calls, sent);
  });
});
