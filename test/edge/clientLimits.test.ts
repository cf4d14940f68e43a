/**
 * One client must not lock out the rest (issue 9 point 3), against the real daemon over real
 * sockets, with clients bound to different loopback addresses (127.0.0.2, 127.0.0.3 …) as
 * different hosts: the per-client connection count and rate limits (Postfix's anvil), their
 * exemption list, and the command and DATA deadlines that trickled bytes do not extend.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientLimits } from '../../src/edge/clientLimits.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/index.js';
import type { RecordedEvent } from '../../src/eventlog/eventLog.js';
import { type DaemonProcess, baseConfig, startDaemon, writeConfig } from '../support/daemonProcess.js';
import { type Step, SmtpTestClient, converse } from './conversation.js';
import { message, until, mailTransaction } from './edgeHarness.js';

const normalClient: Step[] = [
  { server: /^220 / },
  { client: 'EHLO client.example.org' },
  { server: /^250-/ },
  ...mailTransaction('served'),
];

async function open(port: number, from: string, n: number): Promise<SmtpTestClient[]> {
  return Promise.all(Array.from({ length: n }, () => SmtpTestClient.open(port, '127.0.0.1', from)));
}

/** Writes `data` one byte at a time, `everyMs` apart, until done or the server hangs up. */
async function trickle(c: SmtpTestClient, data: string, everyMs = 100): Promise<void> {
  for (const ch of data) {
    if (c.closed) return;
    c.write(ch);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function probes(dir: string): Promise<RecordedEvent[]> {
  const log = new SqliteEventLog(join(dir, 'events.sqlite'), { readonly: true });
  try {
    const out: RecordedEvent[] = [];
    for await (const e of log.readAll({ filter: { streamPrefixes: ['probes-', 'session-'] } })) out.push(e);
    return out;
  } finally {
    await log.close();
  }
}

describe('per-client limits and deadlines (real daemon)', () => {
  let dir: string;
  let d: DaemonProcess;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailtrail-limits-'));
    d = await startDaemon(
      writeConfig(
        dir,
        baseConfig(dir).replace(
          '  domains: [example.test]',
          `  domains: [example.test]
  maxClients: 30
  greetDelay: 0
  clientConnectionLimit: 5
  clientConnectionRateLimit: 12
  rateTimeUnit: 1h
  clientLimitExceptions: [127.0.0.9, "127.0.1.0/24"]
  commandTimeout: 1s
  dataTimeout: 8s`,
        ),
      ),
    );
  });
  after(async () => {
    await d.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('one address holding its share gets 421 4.7.0 past it, and another address is served at once', async () => {
    const hogs = await open(d.port, '127.0.0.2', 8);
    const first = await Promise.all(hogs.map((c) => c.reply()));
    const refused = '421 4.7.0 mx.example.test Error: too many connections from 127.0.0.2';
    assert.equal(first.filter((r) => r?.startsWith('220 ')).length, 5, JSON.stringify(first));
    assert.equal(first.filter((r) => r === refused).length, 3, JSON.stringify(first));
    await Promise.all(hogs.filter((_, i) => first[i] === refused).map((c) => c.waitClosed()));
    const served = await SmtpTestClient.open(d.port, '127.0.0.1', '127.0.0.3');
    await converse(d.port, normalClient, served);
    served.close();
    // One hog leaves: its address gets a slot back.
    hogs.find((_, i) => first[i]?.startsWith('220 '))?.close();
    await until(
      async () => {
        const c = await SmtpTestClient.open(d.port, '127.0.0.1', '127.0.0.2');
        const r = await c.reply();
        c.close();
        return r?.startsWith('220 ');
      },
      'a slot for 127.0.0.2 again',
      20_000,
    );
    for (const c of hogs) c.close();
    const recorded = await until(
      async () => {
        const p = (await probes(dir)).filter(
          (e) => e.type === 'SessionProbed' && e.data.remoteAddress === '127.0.0.2' && e.data.reason === 'limit',
        );
        return p.length >= 3 ? p : undefined;
      },
      'the refused connections recorded as limit probes',
      20_000,
    );
    assert.ok(recorded.length >= 3);
  });

  it('addresses on clientLimitExceptions are not limited', async () => {
    for (const from of ['127.0.0.9', '127.0.1.7']) {
      const clients = await open(d.port, from, 8);
      const first = await Promise.all(clients.map((c) => c.reply()));
      assert.ok(
        first.every((r) => r?.startsWith('220 ')),
        JSON.stringify(first),
      );
      for (const c of clients) c.close();
    }
  });

  it('past the connection rate an address gets 421 4.7.0 for the rest of the time unit, others are served', async () => {
    const replies: (string | undefined)[] = [];
    for (let i = 0; i < 14; i++) {
      const c = await SmtpTestClient.open(d.port, '127.0.0.1', '127.0.0.5');
      replies.push(await c.reply());
      c.close();
      await c.waitClosed();
    }
    assert.equal(replies.filter((r) => r?.startsWith('220 ')).length, 12, JSON.stringify(replies));
    assert.deepEqual(
      replies.slice(12),
      Array(2).fill('421 4.7.0 mx.example.test Error: too many connections from 127.0.0.5'),
    );
    await converse(d.port, normalClient, await SmtpTestClient.open(d.port, '127.0.0.1', '127.0.0.6'));
  });

  it('a command trickled a byte at a time is cut off at commandTimeout with 421 4.4.2, though it never idles', async () => {
    const c = await SmtpTestClient.open(d.port, '127.0.0.1', '127.0.0.7');
    assert.match((await c.reply()) ?? '', /^220 /);
    await trickle(c, `EHLO ${'x'.repeat(200)}.example.org\r\n`);
    assert.equal(await c.reply(), '421 4.4.2 mx.example.test Error: timeout exceeded');
    await c.waitClosed();
  });

  it('a message trickled a byte at a time is cut off at dataTimeout, nothing is queued, and 20 slow clients do not lock out another', async () => {
    // 20 slow clients over four addresses, each address at its limit of 5.
    const slow: SmtpTestClient[] = [];
    for (const from of ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'])
      slow.push(...(await open(d.port, from, 5)));
    await Promise.all(slow.map((c) => c.reply()));
    const steps: Step[] = [
      { client: 'EHLO slow.example.org' },
      { server: /^250-/ },
      { client: 'MAIL FROM:<slow@remote.test>' },
      { server: /^250 / },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: /^250 / },
      { client: 'DATA' },
      { server: /^354 / },
    ];
    await Promise.all(slow.map((c) => converse(d.port, steps, c)));
    const body = `Subject: slow\r\n\r\n${'y'.repeat(400)}\r\n.\r\n`;
    const trickling = slow.map((c) => trickle(c, body, 50));
    // While they trickle, another address is served at once.
    await converse(d.port, normalClient, await SmtpTestClient.open(d.port, '127.0.0.1', '127.0.0.3'));
    assert.ok(
      slow.every((c) => !c.closed),
      'the slow clients were still connected while the normal one was served',
    );
    const cut = await Promise.all(slow.map((c) => c.reply(20_000)));
    assert.ok(
      cut.every((r) => r === '421 4.4.2 mx.example.test Error: timeout exceeded'),
      JSON.stringify(cut),
    );
    await Promise.all(slow.map((c) => c.waitClosed()));
    await Promise.all(trickling);
    // Their slots are free again: the same addresses are served.
    await converse(d.port, normalClient, await SmtpTestClient.open(d.port, '127.0.0.1', '127.0.0.11'));
    const events = await until(
      async () => {
        const all = await probes(dir);
        const closed = all.filter((e) => e.type === 'SessionClosed' && e.data.reason === 'timeout');
        return closed.length >= 20 ? all : undefined;
      },
      'the slow sessions closed as timeouts',
      20_000,
    );
    const slowSessions = new Set(
      events.filter((e) => e.type === 'MailFromAccepted' && e.data.sender === 'slow@remote.test').map((e) => e.stream),
    );
    assert.equal(slowSessions.size, 20);
    for (const s of slowSessions)
      assert.ok(!events.some((e) => e.stream === s && e.type === 'MessageAccepted'), `${s} queued a message`);
  });
});

describe('ClientLimits (anvil) on an injected clock', () => {
  it('counts per address, releases once, opens a new rate window after the time unit, and exempts listed networks', () => {
    let now = 0;
    const limits = new ClientLimits({
      connectionLimit: 2,
      rateLimit: 3,
      rateTimeUnit: 60_000,
      exceptions: ['10.0.0.0/8', '::1'],
      now: () => now,
    });
    const a = limits.admit('::ffff:192.0.2.1');
    const b = limits.admit('192.0.2.1');
    assert.ok(a.ok && b.ok);
    assert.deepEqual(limits.admit('192.0.2.1'), { ok: false, limit: 'count', value: 3 });
    assert.ok(limits.admit('192.0.2.2').ok, 'another address has its own count');
    if (a.ok) {
      a.release();
      a.release();
    }
    assert.equal(limits.connections('192.0.2.1'), 1, 'a double release gives back one slot only');
    assert.deepEqual(limits.admit('192.0.2.1'), { ok: false, limit: 'rate', value: 4 });
    now = 60_000;
    const c = limits.admit('192.0.2.1');
    assert.ok(c.ok, 'a new time unit, a new window');
    for (let i = 0; i < 10; i++) assert.ok(limits.admit('10.1.2.3').ok && limits.admit('::1').ok);
    assert.equal(limits.connections('10.1.2.3'), 0);
  });
});
