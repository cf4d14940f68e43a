/**
 * Hostile input against a real edge: garbled commands, NUL bytes, a 20 kB line, recipient
 * floods, the hard error limit, idle clients, too many clients and 50 abandoned connections.
 * Each gets its exact reply, nothing crashes, and a normal client is served afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Step, SmtpTestClient, converse } from './conversation.js';
import { type EdgeHarness, message, queuedId, startEdge, types, until, mailTransaction } from './edgeHarness.js';

const normalClient: Step[] = [
  { server: /^220 / },
  { client: 'EHLO client.example.org' },
  { server: /^250-/ },
  ...mailTransaction('still alive'),
];

async function probes(e: EdgeHarness) {
  const out = [];
  for (const s of await e.streams('probes-')) out.push(...(await e.events(s)));
  return out;
}

describe('SMTP edge under hostile input', () => {
  let e: EdgeHarness;
  before(async () => {
    e = await startEdge({ maxRecipients: 100 });
  });
  after(() => e.close());

  it('garbled commands and NUL bytes get 5xx and the session goes on', async () => {
    await converse(e.port, [
      { server: /^220 / },
      { raw: '\x00\x01\x02\xff\xfe garbage\r\n' },
      { server: '500 5.5.2 Error: command not recognized' },
      { raw: 'EHLO a\x00b\r\n' },
      { server: '501 Error: Bad hostname syntax' },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      { raw: 'MAIL FROM:<al\x00ice@remote.test>\r\n' },
      { server: '501 5.1.7 Error: Bad sender address syntax' },
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { raw: 'RCPT TO:<bo\x00b@example.test>\r\n' },
      { server: '501 5.1.3 Error: Bad recipient address syntax' },
      { client: 'GET / HTTP/1.1' },
      { server: '421 4.4.2 HTTP requests not allowed' },
      { closed: true },
    ]);
    await converse(e.port, normalClient);
  });

  it('ten unrecognized commands close the session with smtp-server’s own 421', async () => {
    const steps: Step[] = [{ server: /^220 / }];
    for (let i = 0; i < 9; i++)
      steps.push({ client: `XYZZY${i}` }, { server: '500 5.5.2 Error: command not recognized' });
    steps.push({ client: 'XYZZY9' }, { server: '421 4.4.2 Error: too many unrecognized commands' }, { closed: true });
    await converse(e.port, steps);
  });

  it('a 20 kB command line is refused with 421 and the daemon still serves', async () => {
    await converse(e.port, [
      { server: /^220 / },
      { client: `EHLO ${'x'.repeat(20_000)}` },
      { server: '421 4.4.2 Error: Command line too long' },
      { closed: true },
    ]);
    await converse(e.port, normalClient);
  });

  it('a recipient flood gets 452 4.5.3 past the limit, is not cut off, and the message still goes', async () => {
    const c = await SmtpTestClient.open(e.port);
    // Closed whatever happens: a socket left open would count against this address's
    // clientConnectionLimit in the next test.
    let seen: string[];
    try {
      await converse(
        e.port,
        [
          { server: /^220 / },
          { client: 'EHLO flood.example.org' },
          { server: /^250-/ },
          { client: 'MAIL FROM:<alice@remote.test>' },
          { server: /^250 / },
        ],
        c,
      );
      let batch = '';
      for (let i = 0; i < 1500; i++) batch += `RCPT TO:<user${i}@example.test>\r\n`;
      c.write(batch);
      const counts = new Map<string, number>();
      for (let i = 0; i < 1500; i++) {
        const r = (await c.reply()) ?? '<closed>';
        counts.set(r, (counts.get(r) ?? 0) + 1);
      }
      assert.deepEqual(Object.fromEntries(counts), {
        '250 2.1.5 Accepted': 100,
        '452 4.5.3 Error: too many recipients': 1400,
      });
      seen = await converse(
        e.port,
        [
          { client: 'DATA' },
          { server: /^354 / },
          { raw: message('flood') },
          { server: /^250 / },
          { client: 'QUIT' },
          { server: /^221 / },
        ],
        c,
      );
    } finally {
      c.close();
    }
    const [received] = await e.events(`message-${queuedId(seen)}`);
    assert.equal((received!.data as { recipients: string[] }).recipients.length, 100);
    const sessionId = (received!.data as { sessionId: string }).sessionId;
    const events = await until(
      async () => {
        const ev = await e.events(`session-${sessionId}`);
        return ev.at(-1)?.type === 'SessionClosed' ? ev : undefined;
      },
      'the flood session',
      20_000,
    );
    assert.equal(types(events).filter((t) => t === 'RecipientRefused').length, 1400);
  });

  it('50 abandoned connections: probes recorded, nothing crashes, a normal client is served', async () => {
    const before = (await probes(e)).length;
    const clients = await Promise.all(Array.from({ length: 50 }, () => SmtpTestClient.open(e.port)));
    await Promise.all(clients.slice(0, 40).map((c) => c.reply()));
    for (const c of clients.slice(20, 40)) c.write('EHLO half');
    for (const c of clients.slice(40)) c.write('EHLO too.soon\r\n');
    for (const c of clients) c.close();
    await converse(e.port, normalClient);
    const recorded = await until(async () => {
      const p = await probes(e);
      return p.length - before >= 40 ? p.slice(before) : undefined;
    }, '40 probes');
    assert.ok(recorded.every((p) => p.type === 'SessionProbed' && p.data.reason === 'disconnect'));
    await until(() => e.edge.connections === 0, 'every connection closed');
  });
});

describe('SMTP edge limits', () => {
  it('the hard error limit closes the session with 421 4.7.0 (Postfix smtpd_hard_error_limit)', async () => {
    const e = await startEdge({ hardErrorLimit: 3 });
    try {
      await converse(e.port, [
        { server: /^220 / },
        { client: 'EHLO client.example.org' },
        { server: /^250-/ },
        { client: 'MAIL FROM:<alice@remote.test>' },
        { server: /^250 / },
        { client: 'RCPT TO:<a@elsewhere.test>' },
        { server: /^550 5\.7\.1 / },
        { client: 'BOGUS' },
        { server: /^500 5\.5\.2 / },
        { client: 'RCPT TO:<c@elsewhere.test>' },
        { server: '550 5.7.1 <c@elsewhere.test>: Relay access denied' },
        { server: '421 4.7.0 mx.example.test Error: too many errors' },
        { closed: true },
      ]);
      const [stream] = await until(() => e.streams('session-').then((s) => (s.length ? s : undefined)), 'the session');
      const events = await until(async () => {
        const ev = await e.events(stream as string);
        return ev.at(-1)?.type === 'SessionClosed' ? ev : undefined;
      }, 'closed');
      assert.equal(events.at(-1)?.data.reason, 'limit');
      await converse(e.port, normalClient);
    } finally {
      await e.close();
    }
  });

  it('an idle client is closed with 421 4.4.2 and recorded as a timeout probe', async () => {
    const e = await startEdge({ idleTimeout: 300 });
    try {
      await converse(e.port, [
        { server: /^220 / },
        { client: 'EHLO idle.example.org' },
        { server: /^250-/ },
        { server: '421 4.4.2 Timeout - closing connection' },
        { closed: true },
      ]);
      const [probe] = await until(() => probes(e).then((p) => (p.length ? p : undefined)), 'the probe');
      assert.equal(probe?.data.reason, 'timeout');
      assert.equal(probe?.data.helo, 'idle.example.org');
    } finally {
      await e.close();
    }
  });

  it('past maxClients a connection gets 421 and the others are still served', async () => {
    const e = await startEdge({ maxClients: 2 });
    try {
      const a = await SmtpTestClient.open(e.port);
      const b = await SmtpTestClient.open(e.port);
      await Promise.all([a.reply(), b.reply()]);
      await converse(e.port, [
        { server: '421 mx.example.test Too many connected clients, try again in a moment' },
        { closed: true },
      ]);
      await converse(
        e.port,
        [{ client: 'EHLO a.example.org' }, { server: /^250-/ }, { client: 'QUIT' }, { server: /^221 / }],
        a,
      );
      b.close();
      a.close();
      await until(() => e.edge.connections === 0, 'both closed');
      await converse(e.port, normalClient);
    } finally {
      await e.close();
    }
  });

  it('stop() closes an idle session with 421 and records it as a shutdown', async () => {
    const e = await startEdge({ closeTimeout: 200 });
    const c = await SmtpTestClient.open(e.port);
    await converse(
      e.port,
      [
        { server: /^220 / },
        { client: 'EHLO late.example.org' },
        { server: /^250-/ },
        { client: 'MAIL FROM:<>' },
        { server: /^250 / },
      ],
      c,
    );
    await e.edge.stop();
    assert.equal(await c.reply(), '421 4.4.2 Server shutting down');
    const [stream] = await e.streams('session-');
    const events = await e.events(stream as string);
    assert.equal(events.at(-1)?.data.reason, 'shutdown');
    c.close();
    await e.h.close();
  });
});
