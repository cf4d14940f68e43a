/**
 * The LMTP relay against Dovecot's lmtp service (started by the test as root with a config
 * in a temp dir, delivering as nobody into Maildirs there; skipped only when not root):
 * delivery over TCP and over a unix socket, an unknown user refused at RCPT (5.1.1), a
 * mailbox over quota refused after DATA for that recipient alone (5.2.2), connection reuse
 * across requests, and a refused connection (4.4.1).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LmtpRelay } from '../../src/relay/lmtpRelay.js';
import { deliveryRequest, queuedMessage } from './deliveryRequest.js';
import { freePort, startDovecotLmtp } from './realServers.js';

const skip = process.getuid?.() === 0 ? false : 'Dovecot LMTP needs root here (mail_uid)';
const MESSAGE = 'From: alice@example.org\nTo: bob@example.test\nSubject: over LMTP\n\nHello Dovecot\n.dot line\n';

let dovecot: Awaited<ReturnType<typeof startDovecotLmtp>>;
const cleanup: (() => Promise<void>)[] = [];
before(async () => {
  if (skip) return;
  dovecot = await startDovecotLmtp([
    { user: 'bob@example.test' },
    { user: 'dave@example.test' },
    // A quota of 10 bytes: any message goes over it, and Dovecot refuses it after DATA.
    { user: 'carol@example.test', extra: 'userdb_quota_rule=*:bytes=10' },
  ]);
  cleanup.push(() => dovecot.stop());
});
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function inbox(user: string): Promise<string[]> {
  const dir = path.join(dovecot.mailDir, user, 'Maildir', 'new');
  const names = await readdir(dir).catch(() => []);
  return Promise.all(names.sort().map((name) => readFile(path.join(dir, name), 'utf8')));
}

test('delivers over TCP into the Maildir; RCPT refuses an unknown user, DATA a full mailbox', { skip }, async () => {
  const relay = new LmtpRelay({ host: '127.0.0.1', port: dovecot.port, helo: 'relay.test', timeout: 5000 });
  cleanup.push(() => relay.close());
  const recipients = ['bob@example.test', 'nobody@example.test', 'carol@example.test'];
  const results = await relay.deliver(deliveryRequest(MESSAGE, recipients));
  assert.deepEqual(
    results.map((r) => [r.recipient, r.outcome, r.status]),
    [
      ['bob@example.test', 'delivered', '2.0.0'],
      ['nobody@example.test', 'permanent', '5.1.1'],
      ['carol@example.test', 'permanent', '5.2.2'],
    ],
  );
  assert.match(results[0]!.reply, /^250 2\.0\.0 <bob@example\.test> .* Saved$/);
  assert.match(results[1]!.reply, /^550 5\.1\.1 <nobody@example\.test> User doesn't exist/);
  assert.match(results[2]!.reply, /^552 5\.2\.2 <carol@example\.test> Quota exceeded/);

  const [saved] = await inbox('bob@example.test');
  assert.ok(saved, 'a file in bob/Maildir/new');
  assert.match(saved, /^Return-Path: <alice@example\.org>\r?\n/);
  assert.match(saved, /^Received: from relay\.test \(\[127\.0\.0\.1\]\)\r?\n\tby .* with LMTP\r?\n/m);
  assert.ok(saved.replace(/\r\n/g, '\n').endsWith('Subject: over LMTP\n\nHello Dovecot\n.dot line\n'), saved);
  assert.deepEqual(await inbox('carol@example.test'), []);
});

test('delivers over the unix socket, the null sender included, and reuses the connection', { skip }, async () => {
  const relay = new LmtpRelay({ socket: dovecot.socket, helo: 'relay.test', timeout: 5000 });
  cleanup.push(() => relay.close());
  const message = queuedMessage({ envelope: { sender: '', recipients: ['dave@example.test'] } });
  const before = (await dovecot.log()).match(/Connect from local/g)?.length ?? 0;
  for (let i = 0; i < 3; i++) {
    const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['dave@example.test'], { message }));
    assert.equal(result!.outcome, 'delivered', result!.reply);
  }
  const saved = await inbox('dave@example.test');
  assert.equal(saved.length, 3);
  assert.match(saved[0]!, /^Return-Path: <>\r?\n/);
  const after = (await dovecot.log()).match(/Connect from local/g)?.length ?? 0;
  assert.equal(after - before, 1, 'one LMTP connection for three requests');
});

test('a recipient listed twice is sent once and reported twice', { skip }, async () => {
  const relay = new LmtpRelay({ host: '127.0.0.1', port: dovecot.port, helo: 'relay.test', timeout: 5000 });
  cleanup.push(() => relay.close());
  const before = (await inbox('bob@example.test')).length;
  const results = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.test', 'bob@example.test']));
  assert.deepEqual(
    results.map((r) => r.outcome),
    ['delivered', 'delivered'],
  );
  assert.equal((await inbox('bob@example.test')).length, before + 1);
});

test('defers with 4.4.1 when the LMTP server refuses the connection', async () => {
  const relay = new LmtpRelay({ host: '127.0.0.1', port: await freePort(), helo: 'relay.test', timeout: 2000 });
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.test']));
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.4.1']);
  const viaSocket = new LmtpRelay({ socket: '/nonexistent/lmtp.sock', helo: 'relay.test', timeout: 2000 });
  const [missingSocket] = await viaSocket.deliver(deliveryRequest(MESSAGE, ['bob@example.test']));
  assert.deepEqual([missingSocket!.outcome, missingSocket!.status], ['transient', '4.4.1']);
  assert.match(missingSocket!.reply, /ENOENT/);
});
