/**
 * The Maildir relay against a real file system (a fresh temp root per test): where files
 * land, what they hold (parsed back with mailparser), the unique names, the refusals of
 * addresses that could leave the root, and the errno → status outcomes it can provoke
 * for real (ENOTDIR, a missing root, a clash in new/, a read error, EACCES, EFBIG).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import { deliveryRequest, queuedMessage } from './deliveryRequest.js';

const MESSAGE = 'From: Alice <alice@example.org>\nTo: bob@example.com\nSubject: Hello maildir\n\nLine one\nLine two\n';
let base: string;
let n = 0;

before(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'mailtrail-maildir-'));
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

async function freshRoot(): Promise<string> {
  const root = path.join(base, `root${++n}`);
  await mkdir(root);
  return root;
}

async function only(dir: string): Promise<string> {
  const names = await readdir(dir);
  assert.equal(names.length, 1, `expected one file in ${dir}, found ${names.join(', ')}`);
  return path.join(dir, names[0]!);
}

test('delivers into <root>/<domain>/<local>/new with Return-Path and Delivered-To, LF only', async () => {
  const root = await freshRoot();
  const relay = new MaildirRelay({ root, hostname: 'mx.example.com' });
  const results = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.com']));
  assert.deepEqual(results, [
    { recipient: 'bob@example.com', outcome: 'delivered', status: '2.0.0', reply: 'delivered to maildir' },
  ]);

  const maildir = path.join(root, 'example.com', 'bob');
  const file = await only(path.join(maildir, 'new'));
  const raw = await readFile(file, 'utf8');
  assert.equal(raw, `Return-Path: <alice@example.org>\nDelivered-To: bob@example.com\n${MESSAGE}`);
  assert.ok(!raw.includes('\r'));
  assert.deepEqual(await readdir(path.join(maildir, 'tmp')), []);
  assert.deepEqual(await readdir(path.join(maildir, 'cur')), []);

  const parsed = await simpleParser(raw);
  assert.equal(parsed.subject, 'Hello maildir');
  assert.equal((parsed.headers.get('delivered-to') as { text: string }).text, 'bob@example.com');
  assert.equal((parsed.headers.get('return-path') as { text: string }).text, 'alice@example.org');
  assert.match(String(parsed.text), /Line one\nLine two/);

  for (const dir of [
    path.join(root, 'example.com'),
    maildir,
    ...['tmp', 'new', 'cur'].map((d) => path.join(maildir, d)),
  ]) {
    assert.equal((await stat(dir)).mode & 0o777, 0o700, dir);
  }
  assert.equal((await stat(file)).mode & 0o777, 0o600);
});

test('names files <sec>.M<usec>P<pid>Q<n>.<host> with / and : escaped in the host', async () => {
  const root = await freshRoot();
  const relay = new MaildirRelay({ root, hostname: 'mx/1:a', clock: () => ({ sec: 1709629687, usec: 42 }) });
  await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.com', 'carol@example.com']));
  const bob = path.basename(await only(path.join(root, 'example.com', 'bob', 'new')));
  const carol = path.basename(await only(path.join(root, 'example.com', 'carol', 'new')));
  assert.match(bob, new RegExp(`^1709629687\\.M42P${process.pid}Q\\d+\\.mx\\\\0571\\\\072a$`));
  assert.match(carol, /^1709629687\.M42P\d+Q\d+\.mx\\0571\\072a$/);
  assert.notEqual(bob, carol);
});

test('gives each recipient its own copy and Delivered-To, lowercasing only the domain', async () => {
  const root = await freshRoot();
  const relay = new MaildirRelay({ root, hostname: 'mx' });
  const results = await relay.deliver(deliveryRequest(MESSAGE, ['Bob@Example.COM', 'dave@example.net']));
  assert.deepEqual(
    results.map((r) => r.outcome),
    ['delivered', 'delivered'],
  );
  const bob = await readFile(await only(path.join(root, 'example.com', 'Bob', 'new')), 'utf8');
  const dave = await readFile(await only(path.join(root, 'example.net', 'dave', 'new')), 'utf8');
  assert.match(bob, /^Return-Path: <alice@example\.org>\nDelivered-To: Bob@Example\.COM\n/);
  assert.match(dave, /^Return-Path: <alice@example\.org>\nDelivered-To: dave@example\.net\n/);
});

test('writes Return-Path: <> for the null sender', async () => {
  const root = await freshRoot();
  const relay = new MaildirRelay({ root, hostname: 'mx' });
  const message = queuedMessage({ envelope: { sender: '', recipients: ['bob@example.com'] } });
  await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.com'], { message }));
  const raw = await readFile(await only(path.join(root, 'example.com', 'bob', 'new')), 'utf8');
  assert.match(raw, /^Return-Path: <>\n/);
});

const unsafe: Array<[string, RegExp]> = [
  ['../escape@example.com', /starts with '\.'|'\.\.'/],
  ['a/../../b@example.com', /'\.\.'|'\/'/],
  ['a/b@example.com', /'\/'/],
  ['a\\b@example.com', /'\\'/],
  ['.hidden@example.com', /starts with '\.'/],
  ['a\0b@example.com', /control/],
  ['a\nb@example.com', /control/],
  ['a\x7fb@example.com', /control/],
  ['@example.com', /local part is empty/],
  ['bob@', /domain is empty/],
  ['bob@..', /domain/],
  ['bob@../etc', /domain/],
  ['bob@example.com/x', /domain contains '\/'/],
  ['bob@.example.com', /domain starts with '\.'/],
  ['nodomain', /no domain/],
  [`${'x'.repeat(256)}@example.com`, /longer than 255/],
];

test('refuses with 5.1.3 every address that could name a path outside its maildir', async () => {
  const root = await freshRoot();
  const relay = new MaildirRelay({ root, hostname: 'mx' });
  const results = await relay.deliver(deliveryRequest(MESSAGE, [...unsafe.map(([a]) => a), 'bob@example.com']));
  unsafe.forEach(([address, reason], i) => {
    const r = results[i]!;
    assert.equal(r.recipient, address);
    assert.equal(r.outcome, 'permanent', address);
    assert.equal(r.status, '5.1.3', address);
    assert.match(r.reply, reason, address);
  });
  assert.equal(results.at(-1)!.outcome, 'delivered');
  assert.deepEqual(await readdir(root), ['example.com']);
  assert.deepEqual(await readdir(path.join(root, 'example.com')), ['bob']);
  assert.deepEqual(
    (await readdir(base)).filter((f) => !/^root\d+$/.test(f)),
    [],
  );
});

test('never overwrites a file in new/: a name clash takes the next name', async () => {
  const root = await freshRoot();
  const clock = () => ({ sec: 1700000000, usec: 5 });
  const maildir = path.join(root, 'example.com', 'bob');
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(path.join(maildir, sub), { recursive: true });
  const newDir = path.join(maildir, 'new');
  // tmp/Q1 is free, new/Q1 is not: the link must take Q2 and leave Q1 alone.
  const taken = path.join(newDir, `1700000000.M5P${process.pid}Q1.mx`);
  await writeFile(taken, 'already here\n');
  const relay = new MaildirRelay({ root, hostname: 'mx', clock });
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.com']));
  assert.equal(result!.outcome, 'delivered');
  assert.equal(await readFile(taken, 'utf8'), 'already here\n');
  const names = (await readdir(newDir)).sort();
  assert.equal(names.length, 2);
  const delivered = names.find((f) => path.join(newDir, f) !== taken)!;
  assert.match(delivered, /Q2\.mx$/);
  assert.deepEqual(await readdir(path.join(maildir, 'tmp')), []);
  assert.match(await readFile(path.join(newDir, delivered), 'utf8'), /^Return-Path: /);
});

test('defers with 4.2.0 when a file stands where the maildir should be (ENOTDIR), delivers the others', async () => {
  const root = await freshRoot();
  await mkdir(path.join(root, 'example.com'), { recursive: true });
  await writeFile(path.join(root, 'example.com', 'bob'), 'not a directory');
  const relay = new MaildirRelay({ root, hostname: 'mx' });
  const results = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.com', 'carol@example.com']));
  assert.equal(results[0]!.outcome, 'transient');
  assert.equal(results[0]!.status, '4.2.0');
  assert.match(results[0]!.reply, /^maildir delivery failed: create maildir file in example\.com\/bob: ENOTDIR/);
  assert.ok(!results[0]!.reply.includes(root), 'the reply does not expose the absolute path');
  assert.equal(results[1]!.outcome, 'delivered');
});

test('defers with 4.2.0 and does not create the root when it is missing', async () => {
  const root = path.join(base, 'unmounted', 'mail');
  const relay = new MaildirRelay({ root, hostname: 'mx' });
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.com']));
  assert.equal(result!.outcome, 'transient');
  assert.equal(result!.status, '4.2.0');
  assert.match(result!.reply, /ENOENT/);
  await assert.rejects(stat(path.join(base, 'unmounted')), { code: 'ENOENT' });
});

test('defers with 4.3.0 when the content cannot be read, leaving nothing in tmp/ or new/', async () => {
  const root = await freshRoot();
  const relay = new MaildirRelay({ root, hostname: 'mx' });
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.com'], { failAfter: 20 }));
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.3.0']);
  assert.match(result!.reply, /error reading message: spool file vanished/);
  const maildir = path.join(root, 'example.com', 'bob');
  assert.deepEqual(await readdir(path.join(maildir, 'tmp')), []);
  assert.deepEqual(await readdir(path.join(maildir, 'new')), []);
});

test('defers with 4.2.0 on EACCES, as Postfix maildir.c does', {
  skip: process.getuid?.() === 0 ? 'root ignores file modes' : false,
}, async () => {
  const root = await freshRoot();
  await mkdir(path.join(root, 'example.com', 'bob', 'tmp'), { recursive: true });
  await chmod(path.join(root, 'example.com', 'bob', 'tmp'), 0o500);
  const relay = new MaildirRelay({ root, hostname: 'mx' });
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.com']));
  await chmod(path.join(root, 'example.com', 'bob', 'tmp'), 0o700);
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.2.0']);
  assert.match(result!.reply, /EACCES/);
});

test('bounces with 5.2.2 when the file size limit is hit (EFBIG under ulimit -f)', async () => {
  const root = await freshRoot();
  const child = fileURLToPath(new URL('./maildirChild.ts', import.meta.url));
  const { stdout } = await promisify(execFile)('bash', [
    '-c',
    'ulimit -f 2 && exec "$0" --import tsx "$@"',
    process.execPath,
    child,
    root,
    '10000',
  ]);
  const [result] = JSON.parse(stdout) as Array<{ outcome: string; status: string; reply: string }>;
  assert.deepEqual([result!.outcome, result!.status], ['permanent', '5.2.2']);
  assert.match(result!.reply, /write maildir file in example\.com\/bob: EFBIG/);
  assert.deepEqual(await readdir(path.join(root, 'example.com', 'bob', 'tmp')), []);
  assert.deepEqual(await readdir(path.join(root, 'example.com', 'bob', 'new')), []);
});

test('asks for LF content, once per recipient', async () => {
  const root = await freshRoot();
  const relay = new MaildirRelay({ root, hostname: 'mx' });
  const request = deliveryRequest(MESSAGE, ['bob@example.com', 'carol@example.com']);
  const asked: string[] = [];
  await relay.deliver({ ...request, openContent: (o) => (asked.push(o.lineEndings), request.openContent(o)) });
  assert.deepEqual(asked, ['lf', 'lf']);
});
