/**
 * TLS at the edge with a certificate made by `openssl req` for this test: STARTTLS is
 * offered only with `tls`, the upgraded session lands in the history (TlsStarted) and in the
 * message's client (ESMTPS), implicit TLS works, and AUTH (when configured) is recorded
 * without any secret reaching the log or the event store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { pino } from 'pino';
import { makeCertificate } from './certificate.js';
import { SmtpTestClient, converse } from './conversation.js';
import { type EdgeHarness, message, queuedId, startEdge, types, until, mailTransaction } from './edgeHarness.js';

const certificate = makeCertificate();
const { key, cert } = certificate;
const trust = { ca: cert, servername: 'mx.example.test' };
const plain = (user: string, pass: string) => Buffer.from(`\0${user}\0${pass}`).toString('base64');

async function sessionEvents(e: EdgeHarness, messageId: string) {
  const [received] = await e.events(`message-${messageId}`);
  const data = received?.data as { sessionId: string; client: Record<string, unknown> };
  const events = await until(async () => {
    const ev = await e.events(`session-${data.sessionId}`);
    return ev.some((x) => x.type === 'SessionClosed') ? ev : undefined;
  }, 'the closed session');
  return { client: data.client, events };
}

describe('SMTP edge with STARTTLS', () => {
  let e: EdgeHarness;
  const lines: string[] = [];
  before(async () => {
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(c, _e, cb) {
          lines.push(String(c));
          cb();
        },
      }),
    );
    e = await startEdge({
      tls: { key, cert },
      logger,
      protocolLog: true,
      auth: { authenticate: (user, pass) => user === 'alice' && pass === 's3cret-Pa55' },
    });
  });
  after(async () => {
    await e.close();
    certificate.remove();
  });

  it('offers STARTTLS and not AUTH in EHLO, AUTH only after the upgrade, and STARTTLS no more', async () => {
    const c = await SmtpTestClient.open(e.port);
    await converse(
      e.port,
      [
        { server: /^220 / },
        { client: 'EHLO client.example.org' },
        {
          server:
            '250-mx.example.test Nice to meet you, [127.0.0.1]\n250-PIPELINING\n250-8BITMIME\n250-SMTPUTF8\n250-ENHANCEDSTATUSCODES\n250-STARTTLS\n250 SIZE 26214400',
        },
        { client: `AUTH PLAIN ${plain('alice', 's3cret-Pa55')}` },
        { server: '538 5.7.0 Error: Must issue a STARTTLS command first' },
        { client: 'STARTTLS' },
        { server: '220 2.0.0 Ready to start TLS' },
        { starttls: trust },
        { client: 'EHLO client.example.org' },
        {
          server:
            '250-mx.example.test Nice to meet you, [127.0.0.1]\n250-PIPELINING\n250-8BITMIME\n250-SMTPUTF8\n250-ENHANCEDSTATUSCODES\n250-AUTH PLAIN LOGIN\n250 SIZE 26214400',
        },
        { client: 'STARTTLS' },
        { server: '503 5.5.1 Error: TLS already active' },
      ],
      c,
    );
    c.close();
  });

  it('records TlsStarted, and the message’s client says ESMTPS with the cipher', async () => {
    const seen = await converse(e.port, [
      { server: /^220 / },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      { client: 'STARTTLS' },
      { server: /^220 / },
      { starttls: trust },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      ...mailTransaction('over tls'),
    ]);
    const id = queuedId(seen);
    const { client, events } = await sessionEvents(e, id);
    assert.deepEqual(types(events), [
      'SessionConnected',
      'TlsStarted',
      'ClientGreeted',
      'MailFromAccepted',
      'RecipientAccepted',
      'MessageAccepted',
      'SessionClosed',
    ]);
    const tls = events[1]?.data as { cipher?: string; version?: string };
    assert.equal(tls.version, 'TLSv1.3');
    assert.ok(tls.cipher);
    assert.equal(client.protocol, 'ESMTPS');
    assert.deepEqual(client.tls, { cipher: tls.cipher, version: 'TLSv1.3' });
  });

  it('AUTH after STARTTLS: a failure and a success are recorded, the protocol is ESMTPSA, no secret is logged', async () => {
    const seen = await converse(e.port, [
      { server: /^220 / },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      { client: 'STARTTLS' },
      { server: /^220 / },
      { starttls: trust },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      { client: `AUTH PLAIN ${plain('alice', 'wrong-Pa55')}` },
      { server: '535 5.7.8 Error: authentication failed' },
      { client: `AUTH PLAIN ${plain('alice', 's3cret-Pa55')}` },
      { server: '235 2.7.0 Authentication successful' },
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: /^250 / },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: /^250 / },
      { client: 'DATA' },
      { server: /^354 / },
      { raw: message('secret body text') },
      { server: /^250 2\.0\.0 Ok: queued as / },
      { client: 'QUIT' },
      { server: /^221 / },
    ]);
    const id = queuedId(seen);
    const { client, events } = await sessionEvents(e, id);
    assert.deepEqual(types(events).slice(1, 4), ['TlsStarted', 'AuthFailed', 'AuthSucceeded']);
    assert.deepEqual(events[2]?.data, {
      user: 'alice',
      method: 'PLAIN',
      reply: '535 5.7.8 Error: authentication failed',
      at: events[2]?.data.at,
    });
    assert.equal(client.protocol, 'ESMTPSA');
    assert.equal(client.user, 'alice');
    const all = lines.join('') + JSON.stringify(events.map((ev) => ev.data));
    for (const secret of ['s3cret-Pa55', 'wrong-Pa55', plain('alice', 's3cret-Pa55'), 'secret body text']) {
      assert.ok(!all.includes(secret), `${secret} must not be logged or stored`);
    }
    assert.ok(
      lines.some((l) => l.includes(`queued as ${id}`)),
      'the queue id is logged',
    );
  });
});

describe('SMTP edge with implicit TLS', () => {
  it('speaks TLS from the first byte and does not offer STARTTLS', async () => {
    const e = await startEdge({ tls: { key, cert, implicit: true } });
    try {
      const socket = await new Promise<ReturnType<typeof tlsConnect>>((resolve, reject) => {
        const s = tlsConnect({ port: e.port, host: '127.0.0.1', ...trust }, () => resolve(s));
        s.once('error', reject);
      });
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        text += d;
      });
      await until(() => text.includes('\r\n'), 'the greeting');
      socket.write('EHLO client.example.org\r\n');
      await until(() => /\r\n250 SIZE/.test(text), 'the EHLO reply');
      assert.match(text, /^220 mx\.example\.test ESMTP mailtrail\r\n/);
      assert.doesNotMatch(text, /STARTTLS/);
      socket.destroy();
    } finally {
      await e.close();
    }
  });
});
