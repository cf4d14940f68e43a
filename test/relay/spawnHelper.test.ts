/**
 * The spawn helper (src/relay/spawnHelper.ts) with real programs: the real maildrop delivers
 * through it; a helper killed while a run is in progress ends that run as `helperLost`
 * (the recipient deferred with 4.3.0, never delivered-and-forgotten, never a crash), and the
 * next run starts a new helper and delivers. The hanging program is the FAKE delivery agent
 * of the pipe tests (test/relay/fixtures/fake-delivery-agent), as no real one hangs on demand.
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
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { PipeRelay } from '../../src/relay/commandPipeRelay.js';
import { MaildropRelay } from '../../src/relay/maildropRelay.js';
import { SpawnHelper, sharedSpawnHelper } from '../../src/relay/spawnHelper.js';
import { deliveryRequest } from './deliveryRequest.js';

const fake = fileURLToPath(new URL('./fixtures/fake-delivery-agent', import.meta.url));
const text = 'From: alice@example.org\nTo: bob@example.test\nSubject: hi\n\nhello\n';
let dir: string;
let maildir: string;
let filter: string;

before(() => {
  chmodSync(fake, 0o755);
  dir = mkdtempSync(path.join(tmpdir(), 'mailtrail-helper-'));
  maildir = path.join(dir, 'Maildir');
  for (const sub of ['tmp', 'new', 'cur']) mkdirSync(path.join(maildir, sub), { recursive: true, mode: 0o700 });
  filter = path.join(dir, 'mailfilter');
  writeFileSync(filter, `DEFAULT="${maildir}/"\n`, { mode: 0o600 });
  chmodSync(filter, 0o600);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Waits until `check` holds (polling; the tests assert outcomes, never timings). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

function killGroup(pidFile: string): void {
  try {
    process.kill(-Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  } catch {
    // gone already
  }
}

test('maildrop delivers through a running spawn helper process', async () => {
  const relay = new MaildropRelay({ args: [filter] });
  const [result] = await relay.deliver(deliveryRequest(text, ['bob@example.test']));
  assert.equal(result?.outcome, 'delivered');
  const pids = sharedSpawnHelper().helpers.map((h) => h.pid);
  assert.ok(
    pids.some((pid) => pid !== undefined && pid !== process.pid),
    'a helper process ran it',
  );
  assert.equal(readdirSync(path.join(maildir, 'new')).length, 1);
});

test('a helper killed mid-run defers the recipient (4.3.0); the next run starts a new helper and delivers', async () => {
  const helper = new SpawnHelper();
  const record = mkdtempSync(path.join(dir, 'run-'));
  const hanging = helper.run({
    program: fake,
    args: ['--fake-hang', `--fake-record=${record}`],
    header: '',
    content: () => Readable.from([Buffer.from(text)]),
    timeout: 60_000,
  });
  try {
    await until(() => existsSync(path.join(record, 'pid')));
    const first = helper.pid!;
    process.kill(first, 'SIGKILL');
    const exit = await hanging;
    assert.equal(exit.kind, 'helperLost');
    assert.match(exit.kind === 'helperLost' ? exit.reason : '', /spawn helper exited \(signal SIGKILL\)/);

    const again = await helper.run({
      program: '/usr/bin/maildrop',
      args: ['-f', 'alice@example.org', filter],
      header: '',
      content: () => Readable.from([Buffer.from(text)]),
      timeout: 10_000,
    });
    assert.deepEqual(again, { kind: 'exited', code: 0, output: '' });
    assert.equal(helper.started, 2);
    assert.notEqual(helper.pid, first);
  } finally {
    killGroup(path.join(record, 'pid'));
    helper.close();
  }
});

test('through the relay, a lost helper is a transient 4.3.0 result that says the program may have delivered', async () => {
  const record = mkdtempSync(path.join(dir, 'run-'));
  const relay = new PipeRelay({ command: [fake, '--fake-hang', `--fake-record=${record}`], timeout: 60_000 });
  const pending = relay.deliver(deliveryRequest(text, ['bob@example.test']));
  try {
    await until(() => existsSync(path.join(record, 'pid')));
    for (const helper of sharedSpawnHelper().helpers)
      if (helper.running > 0 && helper.pid !== undefined) process.kill(helper.pid, 'SIGKILL');
    const [result] = await pending;
    assert.equal(result?.outcome, 'transient');
    assert.equal(result?.status, '4.3.0');
    assert.match(
      result?.reply ?? '',
      /^pipe: no outcome from the command \(it may have delivered\): the spawn helper exited/,
    );
  } finally {
    killGroup(path.join(record, 'pid'));
  }
  const [next] = await new MaildropRelay({ args: [filter] }).deliver(deliveryRequest(text, ['bob@example.test']));
  assert.equal(next?.outcome, 'delivered');
});

test("spawn: 'direct' forks the program from this process, with the same outcomes", async () => {
  const relay = new MaildropRelay({ args: [filter], spawn: 'direct' });
  const before = readdirSync(path.join(maildir, 'new')).length;
  const [result] = await relay.deliver(deliveryRequest(text, ['bob@example.test']));
  assert.equal(result?.outcome, 'delivered');
  assert.equal(readdirSync(path.join(maildir, 'new')).length, before + 1);
});
