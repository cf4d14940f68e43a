/**
 * DovecotLdaRelay with the real dovecot-lda (Debian package `dovecot-core`). `-d <user>`
 * asks Dovecot's auth service for the user, so the test starts its own dovecot master
 * (no listeners, base_dir in the test's directory, a passwd-file userdb mapping users to
 * uid nobody and maildir:<tmp>/mail/%u) and passes `-c <config>` through `args`. Real
 * failures map through sys_exits: unknown user 67 → 5.1.1, usage error 64 → 5.3.0,
 * auth service down 75 → 4.3.0. Needs root (dovecot's master drops to its own users).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
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
import { once } from 'node:events';
import { DovecotLdaRelay } from '../../src/relay/dovecotLdaRelay.js';
import { deliveryRequest, queuedMessage } from './deliveryRequest.js';

const skip = process.getuid?.() === 0 ? false : 'starting a dovecot master for dovecot-lda -d needs root';
const DOVECOT = '/usr/sbin/dovecot';
let dir: string;
let config: string;
let dovecot: ChildProcess | undefined;
/** The uid and gid the mail is stored as: `nobody` here, a dedicated vmail user in production. */
let mailOwner: { uid: number; gid: number };

const text = 'From: alice@example.org\nTo: bob@example.test\nSubject: hello\n\nHi Bob.\n';

/** A dovecot.conf for the test: everything below `dir`, no network listeners. */
function dovecotConf(baseDir: string): string {
  return [
    'protocols =',
    'ssl = no',
    `base_dir = ${baseDir}`,
    `state_dir = ${dir}/state`,
    `log_path = ${dir}/dovecot.log`,
    `mail_location = maildir:${dir}/mail/%u`,
    'passdb {',
    '  driver = passwd-file',
    `  args = ${dir}/users`,
    '}',
    'userdb {',
    '  driver = passwd-file',
    `  args = ${dir}/users`,
    `  default_fields = uid=${mailOwner.uid} gid=${mailOwner.gid} home=${dir}/mail/%u`,
    '}',
    '',
  ].join('\n');
}

async function waitFor(file: string, ms: number): Promise<void> {
  for (const started = Date.now(); !existsSync(file); ) {
    if (Date.now() - started > ms) throw new Error(`dovecot did not create ${file}; log: ${readLog()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function readLog(): string {
  return existsSync(path.join(dir, 'dovecot.log')) ? readFileSync(path.join(dir, 'dovecot.log'), 'utf8') : '(no log)';
}

function inbox(user: string): string[] {
  const at = path.join(dir, 'mail', user, 'new');
  return existsSync(at)
    ? readdirSync(at)
        .sort()
        .map((name) => readFileSync(path.join(at, name), 'utf8'))
    : [];
}

const relay = (extra: string[] = ['-d', '{user}']) => new DovecotLdaRelay({ args: ['-c', config, ...extra] });

before(async () => {
  if (skip) return;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  mailOwner = { uid: id('-u'), gid: id('-g') };
  dir = mkdtempSync(path.join(tmpdir(), 'mailtrail-dovecot-'));
  chmodSync(dir, 0o755); // the mail owner (nobody) walks through it to its Maildir
  mkdirSync(path.join(dir, 'mail'), { mode: 0o700 });
  chownSync(path.join(dir, 'mail'), mailOwner.uid, mailOwner.gid);
  writeFileSync(path.join(dir, 'users'), 'bob:::::\n');
  config = path.join(dir, 'dovecot.conf');
  writeFileSync(config, dovecotConf(path.join(dir, 'run')));
  dovecot = spawn(DOVECOT, ['-F', '-c', config], { stdio: ['ignore', 'inherit', 'inherit'] });
  await waitFor(path.join(dir, 'run', 'auth-userdb'), 10_000);
});

after(async () => {
  if (dovecot !== undefined && dovecot.exitCode === null && dovecot.signalCode === null) {
    dovecot.kill('SIGTERM');
    await once(dovecot, 'exit');
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('runs dovecot-lda -e -f <sender> -a <recipient> -d <user> by default', { skip }, () => {
  const lda = new DovecotLdaRelay();
  assert.equal(lda.program, '/usr/lib/dovecot/dovecot-lda');
  assert.equal(lda.timeout, 10_000);
  assert.deepEqual(lda.argsFor('alice@example.org', 'Bob@Example.Test', 'id'), [
    '-e',
    '-f',
    'alice@example.org',
    '-a',
    'Bob@Example.Test',
    '-d',
    'bob',
  ]);
});

test('delivers into the user Maildir through dovecot-lda -d, with Return-Path and Delivered-To', { skip }, async () => {
  const [result] = await relay().deliver(deliveryRequest(text, ['bob@example.test']));
  assert.deepEqual(
    result,
    { recipient: 'bob@example.test', outcome: 'delivered', status: '2.0.0', reply: 'delivered via dovecot-lda' },
    readLog(),
  );
  const messages = inbox('bob');
  assert.equal(messages.length, 1);
  assert.equal(messages[0], `Return-Path: <alice@example.org>\nDelivered-To: bob@example.test\n${text}`);
  assert.match(readLog(), /lda\(bob\).*saved mail to INBOX/);
});

test('delivers a null-sender message (-f "")', { skip }, async () => {
  const message = queuedMessage({ envelope: { sender: '', recipients: ['bob@example.test'] } });
  const [result] = await relay().deliver(
    deliveryRequest('Subject: bounce\n\nsorry\n', ['bob@example.test'], { message }),
  );
  assert.equal(result?.status, '2.0.0', readLog());
  assert.ok(inbox('bob').some((m) => m.startsWith('Return-Path: <>\n')));
});

test('fails the recipient with 5.1.1 when dovecot-lda exits 67 for a user the userdb lacks', { skip }, async () => {
  const results = await relay().deliver(deliveryRequest(text, ['carol@example.test', 'bob@example.test']));
  assert.deepEqual(
    results.map((r) => [r.recipient, r.outcome, r.status]),
    [
      ['carol@example.test', 'permanent', '5.1.1'],
      ['bob@example.test', 'delivered', '2.0.0'],
    ],
  );
  assert.match(results[0]!.reply, /^dovecot-lda: user unknown \(exit status 67\)/);
  assert.equal(existsSync(path.join(dir, 'mail', 'carol')), false);
});

test('fails the recipient with 5.3.0 when dovecot-lda exits 64 on a usage error', { skip }, async () => {
  const [result] = await relay(['-z']).deliver(deliveryRequest(text, ['bob@example.test']));
  assert.equal(result?.outcome, 'permanent');
  assert.equal(result?.status, '5.3.0');
  assert.match(result?.reply ?? '', /^dovecot-lda: command line usage error \(exit status 64\): .*invalid option/);
});

test('defers with 4.3.0 when the auth service is down (dovecot-lda exits 75)', { skip }, async () => {
  const down = path.join(dir, 'down.conf');
  writeFileSync(down, dovecotConf(path.join(dir, 'no-master')));
  const lda = new DovecotLdaRelay({ args: ['-c', down, '-d', '{user}'] });
  const [result] = await lda.deliver(deliveryRequest(text, ['bob@example.test']));
  assert.equal(result?.outcome, 'transient');
  assert.equal(result?.status, '4.3.0');
  assert.match(result?.reply ?? '', /^dovecot-lda: temporary failure \(exit status 75\)/);
});
