/**
 * MaildropRelay with the real Courier maildrop (Debian package `maildrop`): in filter-file
 * mode (`args: [<filter>]`, the filter sets DEFAULT to a Maildir in the test's directory)
 * it delivers into a real Maildir, files `X-Spam-Flag: YES` mail into the `.Spam` folder
 * (the tutorial's quarantine), and its real failures map through the sys_exits table:
 * an unknown `-d` user exits 67 (5.1.1), a missing Maildir or a writable filter file 75.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/errors/mailtrailError.js';
import { MaildropRelay } from '../../src/relay/maildropRelay.js';
import { deliveryRequest, queuedMessage } from './deliveryRequest.js';
import { docsMaildropFilter } from '../support/docsMaildropFilter.js';

const root = process.getuid?.() === 0;
let dir: string;
let maildir: string;
let filter: string;

const ham = 'From: alice@example.org\nTo: bob@example.test\nSubject: lunch\n\nAt noon?\n';
const spam = 'From: spammer@example.net\nTo: bob@example.test\nSubject: win\nX-Spam-Flag: YES\n\nYou won!\n';

function makeMaildir(at: string): void {
  for (const sub of ['tmp', 'new', 'cur']) mkdirSync(path.join(at, sub), { recursive: true, mode: 0o700 });
}

/** The messages in a Maildir's new/ folder (in no particular order). */
function newMessages(at: string): string[] {
  return newNames(at).map((name) => readFileSync(path.join(at, 'new', name), 'utf8'));
}
const newNames = (at: string): string[] => readdirSync(path.join(at, 'new'));

/** The messages that arrived in new/ while `action` ran. */
async function arrivals(at: string, action: () => Promise<unknown>): Promise<string[]> {
  const before = new Set(newNames(at));
  await action();
  return newNames(at)
    .filter((name) => !before.has(name))
    .map((name) => readFileSync(path.join(at, 'new', name), 'utf8'));
}

/** A maildrop filter file: maildrop wants it owned by the user running it, mode 600. */
function writeFilter(file: string, body: string): string {
  writeFileSync(file, body, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mailtrail-maildrop-'));
  maildir = path.join(dir, 'Maildir');
  makeMaildir(maildir);
  makeMaildir(path.join(maildir, '.Spam'));
  filter = writeFilter(
    path.join(dir, 'mailfilter'),
    [`DEFAULT="${maildir}/"`, 'if (/^X-Spam-Flag: *YES/)', '{', `  to "${maildir}/.Spam/"`, '}', ''].join('\n'),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('runs maildrop -f <sender> -d <user> by default, -f always first', () => {
  const relay = new MaildropRelay();
  assert.equal(path.basename(relay.program), 'maildrop');
  assert.deepEqual(relay.argsFor('alice@example.org', 'Bob@Example.Test', 'id1'), [
    '-f',
    'alice@example.org',
    '-d',
    'bob',
  ]);
  assert.deepEqual(relay.argsFor('', 'bob@example.test', 'id1'), ['-f', '', '-d', 'bob']);
  const withFilter = new MaildropRelay({ args: ['/etc/mailtrail/mailfilter', '{recipient}'] });
  assert.deepEqual(withFilter.argsFor('alice@example.org', 'bob@example.test', 'id1'), [
    '-f',
    'alice@example.org',
    '/etc/mailtrail/mailfilter',
    'bob@example.test',
  ]);
  assert.equal(relay.timeout, 10_000);
});

test('delivers into the Maildir set as DEFAULT by a filter file, with Return-Path and Delivered-To', async () => {
  const relay = new MaildropRelay({ args: [filter] });
  let results: unknown[] = [];
  const added = await arrivals(
    maildir,
    async () => (results = await relay.deliver(deliveryRequest(ham, ['bob@example.test']))),
  );
  assert.deepEqual(results, [
    { recipient: 'bob@example.test', outcome: 'delivered', status: '2.0.0', reply: 'delivered via maildrop' },
  ]);
  assert.deepEqual(added, [`Return-Path: <alice@example.org>\nDelivered-To: bob@example.test\n${ham}`]);
});

test('files X-Spam-Flag: YES mail into the .Spam folder (the tutorial quarantine)', async () => {
  const relay = new MaildropRelay({ args: [filter] });
  const inbox = newMessages(maildir).length;
  const [result] = await relay.deliver(deliveryRequest(spam, ['bob@example.test']));
  assert.equal(result?.status, '2.0.0');
  assert.equal(newMessages(maildir).length, inbox, 'nothing new in the inbox');
  const quarantined = newMessages(path.join(maildir, '.Spam'));
  assert.equal(quarantined.length, 1);
  assert.match(quarantined[0]!, /^Return-Path: <alice@example\.org>\n[\s\S]*X-Spam-Flag: YES\n\nYou won!\n$/);
});

test('delivers a null-sender message, one maildrop run per recipient', async () => {
  const relay = new MaildropRelay({ args: [filter] });
  const message = queuedMessage({ envelope: { sender: '', recipients: ['bob@example.test', 'carol@example.test'] } });
  const request = deliveryRequest('Subject: bounce\n\nsorry\n', ['bob@example.test', 'carol@example.test'], {
    message,
  });
  let statuses: string[] = [];
  const added = await arrivals(maildir, async () => (statuses = (await relay.deliver(request)).map((r) => r.status)));
  assert.deepEqual(statuses, ['2.0.0', '2.0.0']);
  assert.equal(added.length, 2);
  assert.ok(added.every((m) => m.startsWith('Return-Path: <>\n')));
});

test('fails the recipient with 5.1.1 when maildrop -d exits 67 for an unknown user', {
  skip: root ? false : 'maildrop -d for another user needs root',
}, async () => {
  const relay = new MaildropRelay();
  const [result] = await relay.deliver(deliveryRequest(ham, ['no-such-user.mailtrail@example.test']));
  assert.equal(result?.outcome, 'permanent');
  assert.equal(result?.status, '5.1.1');
  assert.match(result?.reply ?? '', /^maildrop: user unknown \(exit status 67\).*Invalid user specified\./);
});

test('defers with 4.3.0 when DEFAULT names a Maildir that does not exist (maildrop exits 75)', async () => {
  const missing = writeFilter(path.join(dir, 'missing-filter'), `DEFAULT="${dir}/NoSuchMaildir/"\n`);
  const relay = new MaildropRelay({ args: [missing] });
  const [result] = await relay.deliver(deliveryRequest(ham, ['bob@example.test']));
  assert.equal(result?.outcome, 'transient');
  assert.equal(result?.status, '4.3.0');
  assert.match(result?.reply ?? '', /^maildrop: temporary failure \(exit status 75\)/);
});

test('defers with 4.3.0 when the filter file is world-writable (maildrop refuses it, exit 75)', async () => {
  const loose = writeFilter(path.join(dir, 'loose-filter'), `DEFAULT="${maildir}/"\n`);
  chmodSync(loose, 0o666);
  const relay = new MaildropRelay({ args: [loose] });
  const [result] = await relay.deliver(deliveryRequest(ham, ['bob@example.test']));
  assert.equal(result?.status, '4.3.0');
  assert.match(result?.reply ?? '', /world-writable/);
});

test('delivers to virtual mailboxes with the documented filter, {user} and {domain} as its $1 and $2', async () => {
  const vmail = path.join(dir, 'vmail');
  makeMaildir(path.join(vmail, 'example.test', 'bob'));
  makeMaildir(path.join(vmail, 'example.test', 'bob', '.Spam'));
  const relay = new MaildropRelay({
    args: [writeFilter(path.join(dir, 'virtual-filter'), docsMaildropFilter(vmail)), '{user}', '{domain}'],
  });
  const pwned = path.join(dir, 'pwned');
  const results = await relay.deliver(
    deliveryRequest(spam, ['Bob@Example.TEST', 'carol@example.test', `"bob;touch ${pwned}"@example.test`]),
  );
  assert.deepEqual(
    results.map((r) => [r.outcome, r.status]),
    [
      ['delivered', '2.0.0'],
      ['permanent', '5.1.1'],
      ['permanent', '5.1.1'],
    ],
  );
  assert.equal(newMessages(path.join(vmail, 'example.test', 'bob', '.Spam')).length, 1);
  assert.equal(existsSync(pwned), false);
});

test('refuses at construction a maildrop that is not installed', () => {
  assert.throws(
    () => new MaildropRelay({ path: '/nonexistent/maildrop' }),
    (err: unknown) => err instanceof ConfigError && err.key === 'relay.path' && /no such program/.test(err.message),
  );
  assert.throws(
    () =>
      new MaildropRelay(
        { path: 'maildrop-not-installed' },
        { key: 'routes.example.test', file: '/etc/mailtrail.yaml' },
      ),
    (err: unknown) =>
      err instanceof ConfigError && err.key === 'routes.example.test.path' && err.file === '/etc/mailtrail.yaml',
  );
  assert.throws(
    () => new MaildropRelay({ args: ['{rcpt}'] }),
    (err: unknown) => err instanceof ConfigError && err.key === 'relay.args[0]',
  );
});
