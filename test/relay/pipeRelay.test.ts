/**
 * The pipe runner and PipeRelay against test/relay/fixtures/fake-delivery-agent, a FAKE
 * delivery agent used only for endings no real program returns on demand: every sysexits
 * code, unknown codes, signals, hangs past the time limit (with a grandchild), early exits
 * (EPIPE), unreadable messages; plus the argv contract: placeholders substituted inside one
 * argv entry each, shell metacharacters reaching the program untouched, no shell at all.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors/mailtrailError.js';
import { PipeRelay } from '../../src/relay/commandPipeRelay.js';
import { SYS_EXITS } from '../../src/relay/sysExits.js';
import { deliveryRequest, queuedMessage } from './deliveryRequest.js';

const fake = fileURLToPath(new URL('./fixtures/fake-delivery-agent', import.meta.url));
const text = 'From: alice@example.org\nTo: bob@example.com\nSubject: hello\n\nline one\nline two\n';
let dir: string;

before(() => {
  chmodSync(fake, 0o755);
  dir = mkdtempSync(path.join(tmpdir(), 'mailtrail-pipe-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh directory for one run's record. */
function recordDir(): string {
  return mkdtempSync(path.join(dir, 'run-'));
}

function argvOf(record: string): string[] {
  return readFileSync(path.join(record, 'argv'), 'utf8').split('\0').slice(0, -1);
}

/** Whether a process still runs (a zombie does not: in a container nobody may reap it). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('delivers with 2.0.0 when the program exits 0, the message on stdin with LF line endings', async () => {
  const record = recordDir();
  const relay = new PipeRelay({ command: [fake, `--fake-record=${record}`] });
  const request = deliveryRequest(text, ['bob@example.com']);
  const asked: string[] = [];
  const [result] = await relay.deliver({
    ...request,
    openContent: (opts) => (asked.push(opts.lineEndings), request.openContent(opts)),
  });
  assert.deepEqual(result, {
    recipient: 'bob@example.com',
    outcome: 'delivered',
    status: '2.0.0',
    reply: 'delivered via pipe',
  });
  assert.deepEqual(asked, ['lf']);
  assert.equal(readFileSync(path.join(record, 'stdin'), 'utf8'), text);
});

for (const row of SYS_EXITS) {
  test(`${row.status.startsWith('4') ? 'defers' : 'fails'} the recipient with ${row.status} when the program exits ${row.code} (${row.name})`, async () => {
    const relay = new PipeRelay({ command: [fake, `--fake-exit=${row.code}`] });
    const [result] = await relay.deliver(deliveryRequest(text, ['bob@example.com']));
    assert.equal(result?.status, row.status);
    assert.equal(result?.outcome, row.status.startsWith('4') ? 'transient' : 'permanent');
    assert.equal(result?.reply, `pipe: ${row.text} (exit status ${row.code})`);
  });
}

test('fails the recipient with 5.3.0 for an unknown exit status (99, 1)', async () => {
  for (const code of [99, 1]) {
    const relay = new PipeRelay({ command: [fake, `--fake-exit=${code}`] });
    const [result] = await relay.deliver(deliveryRequest(text, ['bob@example.com']));
    assert.deepEqual(result, {
      recipient: 'bob@example.com',
      outcome: 'permanent',
      status: '5.3.0',
      reply: `pipe: unknown mail system error ${code} (exit status ${code})`,
    });
  }
});

test('puts the program output into the reply, made printable and cut at 2 kB', async () => {
  const small = new PipeRelay({ command: [fake, '--fake-exit=67', '--fake-stderr=no such\tuser\there'] });
  const [one] = await small.deliver(deliveryRequest(text, ['bob@example.com']));
  assert.equal(one?.reply, 'pipe: user unknown (exit status 67): no such user here');
  const big = new PipeRelay({ command: [fake, '--fake-exit=73', '--fake-stderr-bytes=100000'] });
  const [two] = await big.deliver(deliveryRequest(text, ['bob@example.com']));
  assert.equal(two?.status, '5.2.0');
  assert.equal(two?.reply, `pipe: can't create user output file (exit status 73): ${'x'.repeat(2048)}`);
});

test('defers with 4.3.0 when the program is killed by a signal', async () => {
  const relay = new PipeRelay({ command: [fake, '--fake-signal=USR1'] });
  const [result] = await relay.deliver(deliveryRequest(text, ['bob@example.com']));
  assert.deepEqual(result, {
    recipient: 'bob@example.com',
    outcome: 'transient',
    status: '4.3.0',
    reply: 'pipe: command died with signal SIGUSR1',
  });
});

test('kills a program past the time limit (SIGKILL after the SIGTERM grace) and defers with 4.3.0', async () => {
  const record = recordDir();
  const relay = new PipeRelay({
    command: [fake, `--fake-record=${record}`, '--fake-hang'],
    timeout: 300,
    killGrace: 200,
  });
  const started = Date.now();
  const [result] = await relay.deliver(deliveryRequest(text, ['bob@example.com']));
  const elapsed = Date.now() - started;
  assert.deepEqual(result, {
    recipient: 'bob@example.com',
    outcome: 'transient',
    status: '4.3.0',
    reply: 'pipe: command time limit of 0.3s exceeded, killed',
  });
  assert.ok(elapsed >= 450 && elapsed < 3000, `took ${elapsed} ms`);
  assert.equal(alive(Number(readFileSync(path.join(record, 'pid'), 'utf8'))), false);
});

test('kills a grandchild that keeps the pipes open after the program has exited', async () => {
  const record = recordDir();
  const relay = new PipeRelay({
    command: [fake, `--fake-record=${record}`, '--fake-hang-child'],
    timeout: 300,
    killGrace: 200,
  });
  const started = Date.now();
  const [result] = await relay.deliver(deliveryRequest(text, ['bob@example.com']));
  assert.ok(Date.now() - started < 3000);
  // The program itself exited 0 before the limit: its status stands.
  assert.equal(result?.status, '2.0.0');
  const grandchild = Number(readFileSync(path.join(record, 'grandchild'), 'utf8'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(alive(grandchild), false);
});

test('survives EPIPE when the program exits without reading a large message', async () => {
  const large = `Subject: big\n\n${'0123456789abcdef\n'.repeat(256 * 1024)}`;
  for (const [code, status] of [
    [0, '2.0.0'],
    [75, '4.3.0'],
  ] as const) {
    const relay = new PipeRelay({ command: [fake, '--fake-no-read', `--fake-exit=${code}`] });
    const [result] = await relay.deliver(deliveryRequest(large, ['bob@example.com']));
    assert.equal(result?.status, status);
  }
});

test('kills the program before it sees EOF when the message cannot be read, and defers', async () => {
  const record = recordDir();
  const relay = new PipeRelay({ command: [fake, `--fake-record=${record}`] });
  const [result] = await relay.deliver(deliveryRequest(text, ['bob@example.com'], { failAfter: 14 }));
  assert.equal(result?.outcome, 'transient');
  assert.equal(result?.status, '4.3.0');
  assert.match(result?.reply ?? '', /^pipe: error reading message, command killed: spool file vanished$/);
  assert.equal(existsSync(path.join(record, 'done')), false, 'the fake must not have finished its "delivery"');
});

test('substitutes placeholders inside each argv entry, one entry each', async () => {
  const record = recordDir();
  const relay = new PipeRelay({
    command: [
      fake,
      `--fake-record=${record}`,
      '{sender}',
      '{recipient}',
      '{user}',
      '{domain}',
      '{messageId}',
      'to={user}@{domain}',
      '{}',
      '{{user}}',
    ],
  });
  const message = queuedMessage({ envelope: { sender: 'alice@example.org', recipients: ['Bob.Smith@Example.COM'] } });
  await relay.deliver(deliveryRequest(text, ['Bob.Smith@Example.COM'], { message }));
  assert.deepEqual(argvOf(record).slice(1), [
    'alice@example.org',
    'Bob.Smith@Example.COM',
    'bob.smith',
    'example.com',
    message.id,
    'to=bob.smith@example.com',
    '{}',
    '{bob.smith}',
  ]);
});

test('passes recipients with shell metacharacters as one argv entry, and no shell runs them', async () => {
  const pwned = path.join(dir, 'pwned');
  const recipients = [
    `"a;touch ${pwned}"@example.test`,
    `"$(touch ${pwned})"@example.test`,
    '"`touch x` | & > <"@example.test',
  ];
  for (const recipient of recipients) {
    const record = recordDir();
    const relay = new PipeRelay({ command: [fake, `--fake-record=${record}`, '{recipient}', '{user}'] });
    const [result] = await relay.deliver(deliveryRequest(text, [recipient]));
    assert.equal(result?.status, '2.0.0');
    const local = recipient.slice(1, recipient.lastIndexOf('"'));
    assert.deepEqual(argvOf(record).slice(1), [recipient, local.toLowerCase()]);
  }
  assert.equal(existsSync(pwned), false);
});

test('refuses addresses a command line could mistake for options or that hold control characters', async () => {
  const record = recordDir();
  const relay = new PipeRelay({ command: [fake, `--fake-record=${record}`, '{user}'] });
  const results = await relay.deliver(
    deliveryRequest(text, ['-oQ/tmp@example.test', 'bob\n@example.test', '"-x"@example.test']),
  );
  assert.deepEqual(
    results.map((r) => [r.outcome, r.status]),
    [
      ['permanent', '5.1.3'],
      ['permanent', '5.1.3'],
      ['permanent', '5.1.3'],
    ],
  );
  const message = queuedMessage({ envelope: { sender: '-f@evil.test', recipients: ['bob@example.com'] } });
  const [bySender] = await relay.deliver(deliveryRequest(text, ['bob@example.com'], { message }));
  assert.equal(bySender?.status, '5.1.7');
  assert.equal(existsSync(path.join(record, 'argv')), false, 'the program never ran');
});

test('runs once per recipient and returns the results in order', async () => {
  const relay = new PipeRelay({ command: [fake, '--fake-exit=0'] });
  const ok = await relay.deliver(deliveryRequest(text, ['a@example.com', 'b@example.com']));
  assert.deepEqual(
    ok.map((r) => [r.recipient, r.status]),
    [
      ['a@example.com', '2.0.0'],
      ['b@example.com', '2.0.0'],
    ],
  );
});

test('defers with 4.3.0 when the program has vanished since the relay was built', async () => {
  const copy = path.join(dir, 'vanishing-agent');
  copyFileSync(fake, copy);
  chmodSync(copy, 0o755);
  const relay = new PipeRelay({ command: [copy] });
  unlinkSync(copy);
  const [result] = await relay.deliver(deliveryRequest(text, ['bob@example.com']));
  assert.equal(result?.outcome, 'transient');
  assert.equal(result?.status, '4.3.0');
  assert.match(result?.reply ?? '', /^pipe: cannot run the command: .*ENOENT/);
});

test('refuses at construction a missing program, a non-executable one and an unknown placeholder', () => {
  const notExecutable = path.join(dir, 'not-executable');
  copyFileSync(fake, notExecutable);
  chmodSync(notExecutable, 0o644);
  const cases: Array<[string[], string, RegExp]> = [
    [['/nonexistent/deliver'], 'relay.command[0]', /no such program/],
    [['mailtrail-no-such-program-on-path'], 'relay.command[0]', /not found on PATH/],
    [[dir], 'relay.command[0]', /not a regular file/],
    [[fake, '--x', '{usr}'], 'relay.command[2]', /unknown placeholder \{usr\}/],
    [[notExecutable], 'relay.command[0]', /not executable/],
  ];
  for (const [command, key, message] of cases) {
    assert.throws(
      () => new PipeRelay({ command }),
      (err: unknown) => err instanceof ConfigError && err.key === key && message.test(err.message),
    );
  }
  assert.throws(
    () => new PipeRelay({ command: [] }),
    (err: unknown) => err instanceof ConfigError && err.key === 'relay.command',
  );
  assert.throws(
    () => new PipeRelay({ command: ['nope'] }, { key: 'routes.example.test' }),
    (err: unknown) => err instanceof ConfigError && err.key === 'routes.example.test.command[0]',
  );
});
