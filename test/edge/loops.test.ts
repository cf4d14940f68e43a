/**
 * Mail loops (issue 9 point 2): the hop limit counted at receipt (Postfix's hopcount_limit,
 * 554 5.4.6 at the end of DATA), the `Delivered-To:` loop check before delivery (5.4.6
 * "mail forwarding loop"), and a route that points back at the daemon itself: one message
 * makes a bounded number of passes, then bounces to its sender, instead of multiplying.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HopCounter } from '../../src/edge/hopCounter.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/index.js';
import { deliveredTo } from '../../src/queue/deliveredToLoop.js';
import { startDaemon, writeConfig } from '../support/daemonProcess.js';
import { smtpSend } from '../support/smtpClient.js';
import { type Step, converse } from './conversation.js';
import { type EdgeHarness, queuedId, startEdge, until } from './edgeHarness.js';

const received = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `Received: from hop${i}.example.org by mx${i}.example.org; Mon, 1 Dec 2025 10:00:00 +0000\r\n`,
  ).join('');

function send(body: string, to = 'bob@example.test'): Step[] {
  return [
    { server: /^220 / },
    { client: 'EHLO client.example.org' },
    { server: /^250-/ },
    { client: 'MAIL FROM:<alice@remote.test>' },
    { server: /^250 / },
    { client: `RCPT TO:<${to}>` },
    { server: /^250 / },
    { client: 'DATA' },
    { server: /^354 / },
    { raw: `${body}.\r\n` },
  ];
}

describe('hop count limit at receipt', () => {
  let e: EdgeHarness;
  before(async () => {
    e = await startEdge({ hopCountLimit: 50 });
  });
  after(() => e.close());

  it('refuses a message with hopCountLimit Received: headers with 554 5.4.6, and queues nothing', async () => {
    const before = (await e.streams('message-')).length;
    await converse(e.port, [
      ...send(`${received(50)}Subject: loop\r\n\r\nbody\r\n`),
      { server: '554 5.4.6 Error: too many hops' },
      { client: 'QUIT' },
      { server: /^221 / },
    ]);
    assert.equal((await e.streams('message-')).length, before);
  });

  it('accepts one hop fewer, and Received: lines in the body do not count', async () => {
    const seen = await converse(e.port, [
      ...send(`${received(49)}Subject: ok\r\n\r\nbody\r\n`),
      { server: /^250 2\.0\.0 Ok: queued as / },
      { client: 'QUIT' },
      { server: /^221 / },
    ]);
    await e.h.waitFor(queuedId(seen), ['delivered']);
    const inBody = await converse(e.port, [
      ...send(`Subject: quoted\r\n\r\n${received(80)}`),
      { server: /^250 2\.0\.0 Ok: queued as / },
      { client: 'QUIT' },
      { server: /^221 / },
    ]);
    await e.h.waitFor(queuedId(inBody), ['delivered']);
  });

  it('counts Received: headers split anywhere across chunks, folded or not, and stops at the header block', () => {
    const text = `Received: a\r\n\tfolded\r\nRECEIVED : b\r\nX-Received: no\r\nReceived: c\r\n\r\nReceived: body\r\n`;
    for (let size = 1; size <= text.length; size++) {
      const c = new HopCounter();
      for (let i = 0; i < text.length; i += size) c.push(Buffer.from(text.slice(i, i + size), 'latin1'));
      assert.equal(c.count, 3, `chunks of ${size}`);
    }
    const noHeaders = new HopCounter();
    noHeaders.push(Buffer.from('just a body line\r\nReceived: x\r\n'));
    assert.equal(noHeaders.count, 0);
  });
});

describe('Delivered-To loop check before delivery', () => {
  let e: EdgeHarness;
  before(async () => {
    e = await startEdge();
  });
  after(() => e.close());

  it('fails a recipient the message was already delivered to with 5.4.6, and delivers the others', async () => {
    const body =
      'Delivered-To: Bob@Example.Test\r\nDelivered-To: <dora@example.test>\r\nSubject: came back\r\n\r\nbody\r\n';
    const seen = await converse(e.port, [
      { server: /^220 / },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      { client: 'MAIL FROM:<>' },
      { server: /^250 / },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: /^250 / },
      { client: 'RCPT TO:<carol@example.test>' },
      { server: /^250 / },
      { client: 'RCPT TO:<dora@example.test>' },
      { server: /^250 / },
      { client: 'DATA' },
      { server: /^354 / },
      { raw: `${body}.\r\n` },
      { server: /^250 2\.0\.0 Ok: queued as / },
      { client: 'QUIT' },
      { server: /^221 / },
    ]);
    const id = queuedId(seen);
    await e.h.waitFor(id, ['delivered', 'bounced', 'partially-delivered', 'partial']).catch(() => undefined);
    const events = await until(async () => {
      const ev = await e.events(`message-${id}`);
      return ev.filter((x) => x.type === 'DeliveryFailed' || x.type === 'DeliverySucceeded').length >= 3
        ? ev
        : undefined;
    }, 'three outcomes');
    const failed = events
      .filter((x) => x.type === 'DeliveryFailed')
      .map((x) => [x.data.recipient, x.data.status, x.data.reply]);
    assert.deepEqual(failed.sort(), [
      ['bob@example.test', '5.4.6', 'mail forwarding loop for bob@example.test'],
      ['dora@example.test', '5.4.6', 'mail forwarding loop for dora@example.test'],
    ]);
    assert.deepEqual(
      events.filter((x) => x.type === 'DeliverySucceeded').map((x) => x.data.recipient),
      ['carol@example.test'],
    );
    assert.ok(!existsSync(join(e.h.mailRoot, 'example.test', 'bob')), 'nothing was delivered to bob');
  });

  it('reads every Delivered-To: header, folded or in angle brackets', () => {
    assert.deepEqual(
      [...deliveredTo('Subject: x\r\nDelivered-To:\r\n a@B.test\r\ndelivered-to: <c@d.test>\r\n')],
      ['a@b.test', 'c@d.test'],
    );
  });
});

/** A port nobody uses right now, so a route can point at the daemon before it starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe('a route that points back at the daemon (real daemon)', () => {
  it('makes a bounded number of passes, then the message bounces to its sender with 5.4.6', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-loop-'));
    const port = await freePort();
    const config = writeConfig(
      dir,
      `hostname: mx.example.test
dataDir: ${dir}
smtp:
  listen: 127.0.0.1:${port}
  domains: [example.test, loop.test]
  greetDelay: 0
  hopCountLimit: 8
relay: { type: maildir, root: ${join(dir, 'mail')} }
routes:
  loop.test: { type: smtp, host: 127.0.0.1, port: ${port}, starttls: never }
queue: { retry: { minBackoff: 1s, maxBackoff: 2s, maxLifetime: 1h } }
`,
    );
    const d = await startDaemon(config);
    try {
      await smtpSend({
        port: d.port,
        from: 'alice@example.test',
        to: ['bob@loop.test'],
        body: 'Subject: round and round\r\n\r\nhello\r\n',
      });
      const inbox = join(dir, 'mail', 'example.test', 'alice', 'new');
      const bounce = await until(
        () =>
          (existsSync(inbox) ? readdirSync(inbox) : [])
            .map((f) => readFileSync(join(inbox, f), 'utf8'))
            .find((m) => /5\.4\.6/.test(m)),
        'the bounce to alice',
        60_000,
      );
      assert.match(bounce, /too many hops/i);
      const log = new SqliteEventLog(join(dir, 'events.sqlite'), { readonly: true });
      try {
        let receivedCount = 0;
        for await (const ev of log.readAll({ filter: { types: ['MessageReceived'] } }))
          if (ev.type === 'MessageReceived') receivedCount++;
        // The original, its passes through the loop (each adds a Received: header), and the bounce.
        assert.ok(receivedCount <= 8 + 1, `${receivedCount} messages received`);
        assert.ok(receivedCount >= 3, `${receivedCount} messages received`);
      } finally {
        await log.close();
      }
    } finally {
      await d.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
