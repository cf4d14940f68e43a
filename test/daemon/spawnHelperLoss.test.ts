/**
 * The daemon's spawn helper dying mid-delivery (src/relay/spawnHelper.ts): the real daemon
 * delivers through the real maildrop (filter-file mode); while maildrop runs, the test kills
 * the daemon's helper processes with SIGKILL. The recipient is deferred (4.3.0, "no outcome
 * from the command"), the daemon keeps running, and the retry, through a new helper,
 * delivers the message. The filter waits while a flag file exists, so the kill lands
 * during a run; it proves nothing about timing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { loadHistory } from '../../src/replay/history.js';
import { smtpSend } from '../support/smtpClient.js';
import { waitUntil } from '../support/waitUntil.js';
import { startDaemon, writeConfig, type DaemonProcess } from '../support/daemonProcess.js';

let dir: string;
let daemon: DaemonProcess;

/** Processes whose parent is `ppid` and whose command line matches `pattern`. */
function children(ppid: number, pattern: RegExp): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (parent === ppid && pattern.test(cmdline)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function history(id: string) {
  const log = new SqliteEventLog(join(dir, 'events.sqlite'), { readonly: true });
  try {
    return await loadHistory(log, id);
  } finally {
    await log.close();
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailtrail-helperloss-'));
  const maildir = join(dir, 'Maildir');
  for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(maildir, sub), { recursive: true, mode: 0o700 });
  const filter = join(dir, 'mailfilter');
  writeFileSync(
    filter,
    ['SHELL="/bin/sh"', `\`while test -e ${join(dir, 'hold')}; do sleep 0.05; done\``, `to "${maildir}/"`, ''].join(
      '\n',
    ),
    { mode: 0o600 },
  );
  chmodSync(filter, 0o600);
  daemon = await startDaemon(
    writeConfig(
      dir,
      `hostname: mx.example.test
dataDir: ${dir}
smtp: { listen: 127.0.0.1:0, domains: [example.test] }
relay: { type: maildrop, path: /usr/bin/maildrop, args: [${filter}] }
queue: { retry: { minBackoff: 1s, maxBackoff: 2s, maxLifetime: 1h } }
log: { level: info }
`,
    ),
  );
});
after(async () => {
  await daemon?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('a spawn helper killed while maildrop runs: the recipient is deferred, then delivered by a new helper', async () => {
  writeFileSync(join(dir, 'hold'), '');
  const reply = await smtpSend({
    port: daemon.port,
    from: 'alice@remote.test',
    to: ['bob@example.test'],
    body: 'From: alice@remote.test\r\nTo: bob@example.test\r\nSubject: held\r\n\r\nHello.\r\n',
  });
  const id = /queued as (\S+)/.exec(reply)![1]!;
  // maildrop is running (held by the filter) under one of the daemon's helpers: kill them all.
  const helpers = await waitUntil(
    () => {
      const all = children(daemon.child.pid!, /^\S*node /);
      return all.some((pid) => children(pid, /maildrop/).length > 0) ? all : undefined;
    },
    { what: 'a helper running maildrop', timeoutMs: 30_000 },
  );
  for (const pid of helpers) process.kill(pid, 'SIGKILL');
  const deferred = await waitUntil(
    async () => (await history(id))?.entries.find((e) => e.type === 'DeliveryDeferred'),
    { what: 'the deferral', timeoutMs: 30_000 },
  );
  assert.match(String(deferred.data.reply), /no outcome from the command \(it may have delivered\)/);
  assert.equal(deferred.data.status, '4.3.0');

  rmSync(join(dir, 'hold'));
  const delivered = await waitUntil(
    async () => {
      const h = await history(id);
      return h?.entries.at(-1)?.state === 'delivered' ? h : undefined;
    },
    { what: 'the delivery', timeoutMs: 30_000 },
  );
  assert.ok(delivered.entries.some((e) => e.type === 'DeliverySucceeded'));
  assert.ok(readdirSync(join(dir, 'Maildir', 'new')).length >= 1, 'in the Maildir (twice if the killed run finished)');
  assert.equal(daemon.child.exitCode, null, 'the daemon still runs');
  const fresh = children(daemon.child.pid!, /^\S*node /).filter((pid) => !helpers.includes(pid));
  assert.ok(fresh.length >= 1, 'a new helper runs');
});
