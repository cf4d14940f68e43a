/**
 * The health gate on the event log (issue 9 points 8 and 9), against the real daemon: its
 * event log lives on a small tmpfs of its own (the spool and Maildirs do not), and the test
 * fills that disk. Appends fail with SQLITE_FULL: DATA gets 452 4.3.1 as for a full spool,
 * and from then on MAIL gets 452 4.3.1 at once, the metric says failing, and the daemon logs
 * it. When space is freed the gate clears by itself (a probe), `EventLogRecovered` with the
 * duration is written to `daemon-<hostname>`, and mail is accepted and delivered again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog, EventLogWriteError } from '../../src/eventlog/sqlite/index.js';
import { MemoryEventLog } from '../../src/eventlog/memory/index.js';
import { AppendHealth } from '../../src/eventlog/appendHealth.js';
import { storeFailureReply } from '../../src/edge/dataReceiver.js';
import { replyLine } from '../../src/edge/smtpReply.js';
import { silentLogger } from '../../src/logging/logger.js';
import { type DaemonProcess, startDaemon, writeConfig } from '../support/daemonProcess.js';
import { freePort } from '../relay/realServers.js';
import { SmtpTestClient } from './conversation.js';
import { message, until } from './edgeHarness.js';

const FULL = '452 4.3.1 Error: insufficient system storage';

/** One transaction, as far as the server lets it go; returns every reply seen. */
async function transaction(port: number, subject: string): Promise<string[]> {
  const c = await SmtpTestClient.open(port);
  const seen: string[] = [];
  try {
    const say = async (line: string | undefined, raw?: string) => {
      if (line) c.send(line);
      if (raw) c.write(raw);
      const r = (await c.reply(10_000)) ?? '<closed>';
      seen.push(r);
      return r;
    };
    await say(undefined);
    await say('EHLO client.example.org');
    if (!(await say('MAIL FROM:<alice@remote.test>')).startsWith('250')) return seen;
    if (!(await say('RCPT TO:<bob@example.test>')).startsWith('250')) return seen;
    if (!(await say('DATA')).startsWith('354')) return seen;
    await say(undefined, message(subject));
    await say('QUIT');
    return seen;
  } finally {
    c.close();
  }
}

/** Fill the file system at `dir` with one file until ENOSPC. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

describe('health gate on the event log (real daemon, event log on a full tmpfs)', () => {
  let dir: string;
  let logDir: string;
  let metricsPort: number;
  let d: DaemonProcess;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailtrail-health-'));
    logDir = join(dir, 'log');
    mkdirSync(logDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', logDir]);
    metricsPort = await freePort();
    const config = writeConfig(
      dir,
      `hostname: mx.example.test
dataDir: ${dir}
eventLog: { type: sqlite, path: ${join(logDir, 'events.sqlite')} }
smtp:
  listen: 127.0.0.1:0
  domains: [example.test]
  greetDelay: 0
relay: { type: maildir, root: ${join(dir, 'mail')} }
log: { level: info }
`,
    );
    d = await startDaemon(config, { args: [`--metrics=${metricsPort}`] });
  });

  after(async () => {
    await d?.kill('SIGTERM');
    try {
      execFileSync('umount', [logDir]);
    } catch {
      /* not mounted */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    assert.ok(m, `${name} is exported`);
    return Number(m[1]);
  };

  it('refuses at MAIL while appends fail, and clears by itself when the disk has room again', async () => {
    const ok = await transaction(d.port, 'before');
    assert.match(ok.at(-2) ?? '', /^250 2\.0\.0 Ok: queued as /, JSON.stringify(ok));
    assert.equal(await metric('mailtrail_eventlog_append_failing'), 0);

    fill(join(logDir, 'filler'));
    // The first transactions find out: DATA gets 452 4.3.1 (the MessageReceived append failed
    // with SQLITE_FULL, or the gate closed on a session append meanwhile) …
    const tries: string[][] = [];
    const refusedAtMail = await until(
      async () => {
        const seen = await transaction(d.port, `while full ${tries.length}`);
        tries.push(seen);
        return seen[2] === FULL ? seen : undefined;
      },
      'MAIL refused by the gate',
      20_000,
    );
    // … and once the gate is closed, MAIL gets it right away.
    assert.equal(refusedAtMail.length, 3);
    assert.ok(
      tries.flat().every((r) => !/queued as/.test(r)),
      `nothing was queued on a full log: ${JSON.stringify(tries)}`,
    );
    assert.ok(tries.some((t) => t.includes(FULL)));
    assert.equal(await metric('mailtrail_eventlog_append_failing'), 1);
    assert.ok((await metric('mailtrail_eventlog_append_failures_total')) >= 1);
    assert.ok(
      d.lines.some((l) => /event log appends are failing/.test(String(l.msg))),
      'the daemon logged the failure',
    );

    rmSync(join(logDir, 'filler'));
    const accepted = await until(
      async () => {
        const seen = await transaction(d.port, 'after');
        return seen.some((r) => /^250 2\.0\.0 Ok: queued as /.test(r)) ? seen : undefined;
      },
      'mail accepted again',
      20_000,
    );
    assert.ok(accepted);
    assert.equal(await metric('mailtrail_eventlog_append_failing'), 0);
    assert.ok(
      d.lines.some((l) => /appends succeed again/.test(String(l.msg))),
      'the daemon logged the recovery',
    );

    const log = new SqliteEventLog(join(logDir, 'events.sqlite'), { readonly: true });
    try {
      const recovered = [];
      for await (const e of log.readStream('daemon-mx.example.test')) recovered.push(e);
      assert.equal(recovered.length, 1);
      assert.equal(recovered[0]?.type, 'EventLogRecovered');
      const data = recovered[0]?.data as {
        failingSince: string;
        at: string;
        durationMs: number;
        failedAppends: number;
        code?: string;
      };
      assert.ok(data.failedAppends >= 1);
      assert.equal(data.durationMs, Date.parse(data.at) - Date.parse(data.failingSince));
      assert.equal(data.code, 'ERR_EVENTLOG_WRITE');
    } finally {
      await log.close();
    }
    const inbox = join(dir, 'mail', 'example.test', 'bob', 'new');
    await until(() => existsSync(inbox) && readdirSync(inbox).length >= 2, 'both accepted messages delivered', 20_000);
  });
});

describe('append health and the store-failure reply', () => {
  it('a full event log (SQLITE_FULL) is 452 4.3.1 like a full spool; other commit failures 451 4.3.0', () => {
    const full = new EventLogWriteError(
      '/x/events.sqlite',
      Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
    );
    assert.equal(replyLine(storeFailureReply(full, silentLogger)), FULL);
    const io = new EventLogWriteError(
      '/x/events.sqlite',
      Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }),
    );
    assert.equal(replyLine(storeFailureReply(io, silentLogger)), '451 4.3.0 Error: queue file write error');
  });

  it('fails on storage errors only, and a probe clears it by writing EventLogRecovered', async () => {
    const log = new MemoryEventLog();
    let broken = false;
    const append = log.append.bind(log);
    log.append = (stream, events, options) =>
      broken && !stream.startsWith('daemon-')
        ? Promise.reject(new Error('database unreachable'))
        : broken && stream.startsWith('daemon-')
          ? Promise.reject(new Error('still unreachable'))
          : append(stream, events, options);
    const health = new AppendHealth(log, { node: 'n1', probeInterval: 20 });
    const failing = () => health.failing;
    await log.append('s-1', [{ type: 'A', data: {} }], { expectedRevision: 'no_stream' });
    await assert.rejects(log.append('s-1', [{ type: 'A', data: {} }], { expectedRevision: 'no_stream' }));
    assert.equal(failing(), undefined, 'a revision conflict says nothing about the storage');
    broken = true;
    await assert.rejects(log.append('s-2', [{ type: 'A', data: {} }]));
    assert.equal(failing()?.failures, 1);
    await until(() => (failing()?.failures ?? 0) >= 3, 'failed probes counted');
    broken = false;
    await until(() => failing() === undefined, 'the probe cleared it');
    const events = [];
    for await (const e of log.readStream('daemon-n1')) events.push(e);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'EventLogRecovered');
    assert.ok((events[0]!.data as { failedAppends: number }).failedAppends >= 3);
    health.stop();
  });
});
