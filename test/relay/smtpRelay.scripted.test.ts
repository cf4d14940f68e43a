/**
 * The SMTP relay against a real SMTP server (smtp-server) whose replies each test scripts
 * as data: per-recipient RCPT outcomes and their exact statuses, DATA and MAIL FROM
 * rejections, the null sender, BODY=8BITMIME and SMTPUTF8, the content as sent, connection
 * reuse, refused connections (4.4.1), a silent server (4.4.2), STARTTLS and AUTH.
 */
import { after, test } from 'node:test';
import type { SMTPServerOptions } from 'smtp-server';
import assert from 'node:assert/strict';
import { SmtpRelay, type SmtpRelayOptions } from '../../src/relay/smtpRelay.js';
import { deliveryRequest, queuedMessage } from './deliveryRequest.js';
import { freePort } from './realServers.js';
import { scriptedServer, type Script, type Scripted } from './scriptedSmtpServer.js';

const MESSAGE = 'From: alice@example.org\nTo: bob@example.test\nSubject: scripted\n\nHello\n.leading dot\n..two dots\n';
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function setup(
  script: Script,
  options: Partial<SmtpRelayOptions> = {},
): Promise<{ server: Scripted; relay: SmtpRelay }> {
  const server = await scriptedServer(script);
  const relay = new SmtpRelay({
    host: '127.0.0.1',
    port: server.port,
    helo: 'relay.test',
    starttls: 'never',
    timeout: 5000,
    ...options,
  });
  cleanup.push(
    () => server.close(),
    () => relay.close(),
  );
  return { server, relay };
}

/** [recipient, scripted RCPT reply or undefined for ok, expected outcome, status, reply pattern] */
const PER_RECIPIENT: [string, string | undefined, string, string, RegExp][] = [
  ['alice@example.test', undefined, 'delivered', '2.0.0', /^250 OK: message queued/],
  [
    'bob@example.test',
    '550 5.1.1 <bob@example.test>: user unknown',
    'permanent',
    '5.1.1',
    /^550 5\.1\.1 <bob@example\.test>: user unknown$/,
  ],
  ['carol@example.test', '452 4.2.2 mailbox full', 'transient', '4.2.2', /^452 4\.2\.2 mailbox full$/],
  ['dave@example.test', '550 no such user', 'permanent', '5.0.0', /^550 no such user$/],
  ['erin@example.test', '451 try later', 'transient', '4.0.0', /^451 try later$/],
  ['frank@example.test', '553 5.7.1 relaying denied', 'permanent', '5.7.1', /^553 5\.7\.1 relaying denied$/],
];

test('each RCPT reply decides its own recipient; the DATA reply delivers the accepted ones', async () => {
  const rcpt = Object.fromEntries(PER_RECIPIENT.filter(([, reply]) => reply).map(([r, reply]) => [r, reply!]));
  const { server, relay } = await setup({ rcpt });
  const recipients = PER_RECIPIENT.map(([r]) => r);
  const results = await relay.deliver(deliveryRequest(MESSAGE, recipients));
  assert.equal(results.length, recipients.length);
  PER_RECIPIENT.forEach(([recipient, , outcome, status, reply], i) => {
    const result = results[i]!;
    assert.equal(result.recipient, recipient);
    assert.equal(result.outcome, outcome, `${recipient}: ${result.reply}`);
    assert.equal(result.status, status, recipient);
    assert.match(result.reply, reply);
  });
  assert.equal(server.received.length, 1);
  assert.deepEqual(server.received[0]!.to, ['alice@example.test']);
});

test('a DATA rejection fails the accepted recipients with its status; RCPT rejections stand', async () => {
  const { relay } = await setup({
    rcpt: { 'bob@example.test': '550 5.1.1 unknown' },
    data: '554 5.6.0 content rejected',
  });
  const results = await relay.deliver(
    deliveryRequest(MESSAGE, ['alice@example.test', 'bob@example.test', 'carol@example.test']),
  );
  assert.deepEqual(
    results.map((r) => [r.recipient, r.outcome, r.status]),
    [
      ['alice@example.test', 'permanent', '5.6.0'],
      ['bob@example.test', 'permanent', '5.1.1'],
      ['carol@example.test', 'permanent', '5.6.0'],
    ],
  );
  assert.match(results[0]!.reply, /554 5\.6\.0 content rejected/);
});

test('a 4xx DATA reply defers the accepted recipients', async () => {
  const { relay } = await setup({ data: '451 4.3.0 queue file write error' });
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test']));
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.3.0']);
});

test('a MAIL FROM rejection applies to every recipient', async () => {
  const { server, relay } = await setup({ mail: '553 5.1.7 sender rejected' });
  const results = await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test', 'bob@example.test']));
  assert.deepEqual(
    results.map((r) => [r.outcome, r.status]),
    [
      ['permanent', '5.1.7'],
      ['permanent', '5.1.7'],
    ],
  );
  assert.equal(server.received.length, 0);
});

test('sends the null sender as MAIL FROM:<>, the content byte for byte with CRLF', async () => {
  const { server, relay } = await setup({});
  const message = queuedMessage({ envelope: { sender: '', recipients: ['alice@example.test'] } });
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test'], { message }));
  assert.equal(result!.outcome, 'delivered');
  assert.equal(server.received[0]!.from, '');
  assert.equal(server.received[0]!.body.toString('utf8'), MESSAGE.replace(/\n/g, '\r\n'));
  assert.equal(server.received[0]!.mailArgs.BODY, undefined);
});

test('asks for BODY=8BITMIME only when the content has 8-bit bytes', async () => {
  const { server, relay } = await setup({});
  await relay.deliver(deliveryRequest('Subject: caf\u00e9\n\nna\u00efve\n', ['alice@example.test']));
  await relay.deliver(deliveryRequest('Subject: plain\n\nascii\n', ['alice@example.test']));
  assert.equal(server.received[0]!.mailArgs.BODY, '8BITMIME');
  assert.equal(server.received[1]!.mailArgs.BODY, undefined);
  assert.match(server.received[0]!.body.toString('utf8'), /na\u00efve/);
});

test('uses SMTPUTF8 for an internationalized address when offered, fails it 5.6.7 when not', async () => {
  const { server, relay } = await setup({});
  const [ok] = await relay.deliver(deliveryRequest(MESSAGE, ['j\u00f6rg@example.test']));
  assert.equal(ok!.outcome, 'delivered', ok!.reply);
  assert.equal(server.received[0]!.mailArgs.SMTPUTF8, true);

  const { relay: plain } = await setup({ server: { hideSMTPUTF8: true } });
  const results = await plain.deliver(deliveryRequest(MESSAGE, ['j\u00f6rg@example.test', 'alice@example.test']));
  assert.deepEqual(
    results.map((r) => [r.outcome, r.status]),
    [
      ['permanent', '5.6.7'],
      ['delivered', '2.0.0'],
    ],
  );
});

test('keeps the connection for the next attempt and all domains of a static next hop in one transaction', async () => {
  const { server, relay } = await setup({});
  await relay.deliver(deliveryRequest(MESSAGE, ['alice@one.test', 'bob@two.test']));
  await relay.deliver(deliveryRequest(MESSAGE, ['carol@three.test']));
  assert.equal(server.connections, 1);
  assert.deepEqual(
    server.received.map((r) => r.to),
    [['alice@one.test', 'bob@two.test'], ['carol@three.test']],
  );
});

test('a later attempt opens a new connection when the pooled one was closed by the server', async () => {
  const { server, relay } = await setup({ server: { socketTimeout: 200 } });
  await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test']));
  await new Promise((r) => setTimeout(r, 500));
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test']));
  assert.equal(result!.outcome, 'delivered', result!.reply);
  assert.equal(server.connections, 2);
});

test('defers with 4.4.1 when the next hop refuses the connection', async () => {
  const port = await freePort();
  const relay = new SmtpRelay({ host: '127.0.0.1', port, helo: 'relay.test', timeout: 2000 });
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test']));
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.4.1']);
  assert.match(result!.reply, /ECONNREFUSED|connection failed/);
  await relay.close();
});

test('defers with 4.4.2 when the server stops answering', async () => {
  const { relay } = await setup({ stallData: true }, { timeout: 300 });
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test']));
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.4.2']);
});

test('defers with 4.3.0 when the message cannot be read', async () => {
  const { server, relay } = await setup({});
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test'], { failAfter: 10 }));
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.3.0']);
  assert.equal(server.received.length, 0);
});

test('STARTTLS opportunistic: upgrades when offered, without checking the certificate', async () => {
  const { server, relay } = await setup({}, { starttls: 'opportunistic' });
  const [ok] = await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test']));
  assert.equal(ok!.outcome, 'delivered', ok!.reply);
  assert.equal(server.received[0]!.secure, true);
});

test('STARTTLS required: defers 4.7.4 when the server refuses it, 4.7.5 when its certificate fails', async () => {
  const { server: plain, relay: strict } = await setup(
    { server: { disabledCommands: ['STARTTLS'] } },
    { starttls: 'required' },
  );
  const [refused] = await strict.deliver(deliveryRequest(MESSAGE, ['alice@example.test']));
  assert.deepEqual([refused!.outcome, refused!.status], ['transient', '4.7.4'], refused!.reply);
  assert.equal(plain.received.length, 0);

  // smtp-server's built-in certificate is self-signed for "localhost": it cannot be verified.
  const { server, relay } = await setup({}, { starttls: 'required' });
  const [unverified] = await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test']));
  assert.deepEqual([unverified!.outcome, unverified!.status], ['transient', '4.7.5'], unverified!.reply);
  assert.match(unverified!.reply, /TLS handshake failed/);
  assert.equal(server.received.length, 0);
});

test('AUTH: logs in with the configured credentials; a refused login defers 4.7.0', async () => {
  const server: SMTPServerOptions = {
    authOptional: false,
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      if (auth.username === 'relay' && auth.password === 'secret') cb(null, { user: 'relay' });
      else cb(Object.assign(new Error('5.7.8 bad credentials'), { responseCode: 535 }));
    },
  };
  const { server: s, relay } = await setup({ server }, { auth: { user: 'relay', pass: 'secret' } });
  const [ok] = await relay.deliver(deliveryRequest(MESSAGE, ['alice@example.test']));
  assert.equal(ok!.outcome, 'delivered', ok!.reply);
  assert.equal(s.received[0]!.user, 'relay');

  const { relay: wrong } = await setup({ server }, { auth: { user: 'relay', pass: 'nope' } });
  const [deferred] = await wrong.deliver(deliveryRequest(MESSAGE, ['alice@example.test']));
  assert.deepEqual([deferred!.outcome, deferred!.status], ['transient', '4.7.0']);
  assert.match(deferred!.reply, /535 5\.7\.8 bad credentials/);
});
