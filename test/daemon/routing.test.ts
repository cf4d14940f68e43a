/**
 * Routing in the real daemon: a bounce to a remote sender leaves through `outbound` (the SMTP
 * relay with MX lookup; dnsmasq serves remote.test's MX, smtp-sink receives on loopback);
 * mail to BOB@ and Bob@ with `mailboxes: [bob@…]` lands in bob's Maildir; a bounce to a hosted
 * sender that is no mailbox fails 5.1.1 (a double bounce, logged) and creates no directory.
 * Permanent failures come from a real program: a pipe route whose command exits 67 (EX_NOUSER).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { loadHistory } from '../../src/replay/history.js';
import { dsnIdFor } from '../../src/mail/queueId.js';
import { smtpSend } from '../support/smtpClient.js';
import { startDaemon, writeConfig, type DaemonProcess } from '../support/daemonProcess.js';
import { freePort, startDnsmasq, startSmtpSink, type Running } from '../relay/realServers.js';

const MX = '127.0.0.7';
const body = (subject: string) => `From: someone\r\nTo: someone\r\nSubject: ${subject}\r\n\r\nHello.\r\n`;
const queuedId = (reply: string) => /queued as (\S+)/.exec(reply)![1]!;

let dir: string;
let daemon: DaemonProcess;
let sink: Running & { dumps(): Promise<string[]> };
const cleanup: (() => Promise<unknown> | void)[] = [];

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const got = await probe();
    if (got !== undefined) return got;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function history(id: string) {
  const log = new SqliteEventLog(join(dir, 'events.sqlite'), { readonly: true });
  try {
    return await loadHistory(log, id);
  } finally {
    await log.close();
  }
}

/** The state the message's last event reached, once it is one of `states`. */
const reaches = (id: string, states: string[]) =>
  until(`${id} in ${states.join('|')}`, async () => {
    const state = (await history(id).catch(() => undefined))?.entries.at(-1)?.state;
    return state && states.includes(state) ? state : undefined;
  });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailtrail-routing-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort([MX]);
  sink = await startSmtpSink(MX, port);
  const dns = await startDnsmasq([
    'local=/test/',
    'mx-host=remote.test,mx.remote.test,10',
    `host-record=mx.remote.test,${MX}`,
  ]);
  cleanup.push(
    () => sink.stop(),
    () => dns.stop(),
  );
  daemon = await startDaemon(
    writeConfig(
      dir,
      `hostname: mx.example.test
dataDir: ${dir}
smtp:
  listen: 127.0.0.1:0
  domains: [example.test, fail.test]
  mailboxes: [bob@example.test, alice@example.test, x@fail.test]
relay: { type: maildir, root: ${join(dir, 'mail')} }
routes:
  fail.test: { type: pipe, command: [/bin/sh, -c, "exit 67"] }
outbound: { type: smtp, port: ${port}, starttls: never, dnsServers: [${dns.server}] }
queue: { retry: { minBackoff: 1s, maxBackoff: 2s, maxLifetime: 1h } }
`,
    ),
  );
  cleanup.push(() => daemon.kill());
});
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe('routing in the daemon', () => {
  it('sends the bounce for a remote sender through outbound, to the MX of its domain', async () => {
    const id = queuedId(
      await smtpSend({
        port: daemon.port,
        from: 'alice@remote.test',
        to: ['x@fail.test'],
        body: body('to be bounced'),
      }),
    );
    assert.equal(await reaches(id, ['bounced']), 'bounced');
    assert.equal(await reaches(dsnIdFor(id), ['delivered', 'deferred']), 'delivered');
    const dump = await until('the DSN at smtp-sink', async () =>
      (await sink.dumps()).find((d) => d.includes('to be bounced')),
    );
    assert.match(dump, /^X-Mail-Args: <>$/m);
    assert.deepEqual(dump.match(/^X-Rcpt-Args: .*$/gm), ['X-Rcpt-Args: <alice@remote.test>']);
    assert.match(dump, /^Subject: Undelivered Mail Returned to Sender$/m);
    assert.match(dump, /^Status: 5\.1\.1$/m);
    const dsn = await history(dsnIdFor(id));
    assert.match(String(dsn?.entries.find((e) => e.type === 'DeliverySucceeded')?.data.relay), /^smtp/);
    assert.ok(!existsSync(join(dir, 'mail', 'remote.test')), 'nothing written for the remote domain');
  });

  it('delivers BOB@ and Bob@ into the Maildir of bob@ as configured', async () => {
    const upper = queuedId(
      await smtpSend({ port: daemon.port, from: 'carol@remote.test', to: ['BOB@example.test'], body: body('upper') }),
    );
    const mixed = queuedId(
      await smtpSend({ port: daemon.port, from: 'carol@remote.test', to: ['Bob@EXAMPLE.test'], body: body('mixed') }),
    );
    assert.equal(await reaches(upper, ['delivered', 'bounced', 'deferred']), 'delivered');
    assert.equal(await reaches(mixed, ['delivered', 'bounced', 'deferred']), 'delivered');
    assert.deepEqual(readdirSync(join(dir, 'mail', 'example.test')), ['bob']);
    assert.equal(readdirSync(join(dir, 'mail', 'example.test', 'bob', 'new')).length, 2);
    // The envelope keeps what the client wrote; the delivery names the mailbox.
    const h = await history(upper);
    assert.deepEqual(h?.entries[0]?.data.recipients, ['BOB@example.test']);
    assert.equal(h?.entries.find((e) => e.type === 'DeliverySucceeded')?.data.recipient, 'BOB@example.test');
  });

  it('a bounce to a hosted sender that is no mailbox fails 5.1.1, is logged as a double bounce, and creates no Maildir', async () => {
    const id = queuedId(
      await smtpSend({
        port: daemon.port,
        from: 'nosuchuser@example.test',
        to: ['x@fail.test'],
        body: body('from nobody'),
      }),
    );
    assert.equal(await reaches(id, ['bounced']), 'bounced');
    assert.equal(await reaches(dsnIdFor(id), ['bounced', 'delivered', 'deferred']), 'bounced');
    const dsn = await history(dsnIdFor(id));
    const failed = dsn?.entries.find((e) => e.type === 'DeliveryFailed');
    assert.equal(failed?.data.status, '5.1.1');
    assert.equal(failed?.data.recipient, 'nosuchuser@example.test');
    assert.match(String(failed?.data.reply), /user unknown/);
    assert.ok(!existsSync(join(dir, 'mail', 'example.test', 'nosuchuser')));
    const line = await until('the double-bounce log line', () =>
      daemon.lines.find((l) => /double bounce/.test(String(l.msg)) && l.messageId === dsnIdFor(id)),
    );
    assert.equal(line.level, 40);
    assert.match(String(line.msg), /<nosuchuser@example\.test>: 5\.1\.1/);
  });
});
