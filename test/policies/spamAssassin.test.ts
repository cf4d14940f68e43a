/**
 * SpamAssassin against a real spamd (spamdServer.ts): GTUBE is tagged X-Spam-Flag: YES and
 * X-Spam-Status: Yes, a plain message is not; over TCP and over a unix socket. spamd down or
 * silent: 'defer' throws a TransientError, 'pass' adds nothing and records why. Oversized
 * messages are not sent. If spamd cannot start, the suite fails with spamd's own output.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { InvariantError, TransientError } from '../../src/errors/mailtrailError.js';
import { SpamAssassin, type SpamAssassinOptions } from '../../src/policies/spamAssassin.js';
import { SpamdError } from '../../src/policies/spamdClient.js';
import type { PolicyContext } from '../../src/policies/policy.js';
import { context, message } from './policyContext.js';
import { freePort, startSpamd, type RunningSpamd } from './spamdServer.js';

const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';
const HEADERS = [
  'Date: Tue, 05 Mar 2024 09:08:06 +0000',
  'Message-ID: <20240305090806.abc@example.org>',
  'From: Alice <alice@example.org>',
  'To: Bob <bob@example.com>',
].join('\r\n');

function mail(subject: string, body: string): Buffer {
  return Buffer.from(`${HEADERS}\r\nSubject: ${subject}\r\n\r\n${body}\r\n`);
}
const spamMail = mail('test', `This is the GTUBE test.\r\n${GTUBE}`);
const hamMail = mail('lunch on Thursday', 'Hello Bob,\r\n\r\nshall we meet at noon at the usual place?\r\n\r\nAlice');

function ctx(bytes: Buffer): PolicyContext {
  return context(HEADERS, {
    message: message({ size: bytes.length }),
    openMessage: () => Readable.from([bytes]),
  });
}

/** A fake spamd for what no real spamd does on demand: never reply, or reply with an error. */
async function fakeSpamd(
  onRequest: (socket: Socket, request: Buffer) => void,
): Promise<{ port: number; server: Server; requests: Buffer[] }> {
  const requests: Buffer[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      requests.push(Buffer.concat(chunks));
      onRequest(socket, Buffer.concat(chunks));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server, requests };
}

describe('SpamAssassin with a real spamd over TCP', () => {
  let spamd: RunningSpamd;
  let policy: SpamAssassin;
  before(async () => {
    spamd = await startSpamd();
    console.log(`# spamd (tcp) answered PING after ${spamd.startupMs} ms`);
    policy = new SpamAssassin({ ...spamd.address, timeout: 60_000 } as SpamAssassinOptions);
  });
  after(() => spamd?.stop());

  it('tags the GTUBE message X-Spam-Flag: YES and X-Spam-Status: Yes', async () => {
    const effect = await policy.apply(ctx(spamMail));
    const [flag, status] = effect.prependHeaders ?? [];
    assert.equal(flag, 'X-Spam-Flag: YES');
    assert.match(status!, /^X-Spam-Status: Yes, score=\d+\.\d required=5\.0 tests=/);
    const verdict = effect.verdicts as { spam: boolean; score: number; required: number; tests: string[] };
    assert.equal(verdict.spam, true);
    assert.ok(verdict.score >= 1000, `GTUBE scores 1000, got ${verdict.score}`);
    assert.equal(verdict.required, 5);
    assert.ok(verdict.tests.includes('GTUBE'), `tests: ${verdict.tests.join(',')}`);
  });

  it('the headers parse back with mailparser, tests intact after unfolding', async () => {
    const effect = await policy.apply(ctx(spamMail));
    const parsed = await simpleParser(
      Buffer.concat([Buffer.from(effect.prependHeaders!.map((h) => `${h}\r\n`).join('')), spamMail]),
    );
    assert.equal(parsed.headers.get('x-spam-flag'), 'YES');
    const status = String(parsed.headers.get('x-spam-status'));
    const tests = /tests=(.*)$/s.exec(status)![1]!.split(/[,\s]+/);
    assert.deepEqual(tests, (effect.verdicts as { tests: string[] }).tests);
  });

  it('does not tag a normal message', async () => {
    const effect = await policy.apply(ctx(hamMail));
    assert.equal(effect.prependHeaders?.length, 1);
    assert.match(effect.prependHeaders![0]!, /^X-Spam-Status: No, score=-?\d+\.\d required=5\.0 tests=/);
    assert.equal((effect.verdicts as { spam: boolean }).spam, false);
  });

  it('CHECK gives the verdict without rule names (tests=none)', async () => {
    const check = new SpamAssassin({ ...spamd.address, command: 'CHECK', timeout: 60_000 } as SpamAssassinOptions);
    const effect = await check.apply(ctx(spamMail));
    assert.equal(effect.prependHeaders![0], 'X-Spam-Flag: YES');
    assert.match(effect.prependHeaders![1]!, /tests=none$/);
    assert.deepEqual((effect.verdicts as { tests: string[] }).tests, []);
  });

  it('passes a message larger than maxSize unscanned', async () => {
    const small = new SpamAssassin({ ...spamd.address, maxSize: 100 } as SpamAssassinOptions);
    const effect = await small.apply(ctx(spamMail));
    assert.equal(effect.prependHeaders, undefined);
    assert.match(String((effect.verdicts as { skipped: string }).skipped), /larger than maxSize \(\d+ > 100 bytes\)/);
  });
});

describe('SpamAssassin with a real spamd on a unix socket', () => {
  let spamd: RunningSpamd;
  before(async () => {
    spamd = await startSpamd({ socket: true });
    console.log(`# spamd (unix socket) answered PING after ${spamd.startupMs} ms`);
  });
  after(() => spamd?.stop());

  it('tags GTUBE and leaves a normal message untagged', async () => {
    const policy = new SpamAssassin({ socket: (spamd.address as { socket: string }).socket, timeout: 60_000 });
    assert.equal((await policy.apply(ctx(spamMail))).prependHeaders![0], 'X-Spam-Flag: YES');
    assert.match((await policy.apply(ctx(hamMail))).prependHeaders![0]!, /^X-Spam-Status: No,/);
  });
});

describe('SpamAssassin when spamd fails', () => {
  it('defers (TransientError) when nothing listens on the port', async () => {
    const policy = new SpamAssassin({ port: await freePort() });
    await assert.rejects(
      policy.apply(ctx(hamMail)),
      (err: unknown) => err instanceof TransientError && err instanceof SpamdError && /ECONNREFUSED/.test(err.message),
    );
  });

  it("passes untagged with onError 'pass', recording why", async () => {
    const policy = new SpamAssassin({ port: await freePort(), onError: 'pass' });
    const effect = await policy.apply(ctx(hamMail));
    assert.equal(effect.prependHeaders, undefined);
    assert.match(String((effect.verdicts as { skipped: string }).skipped), /^spamd: 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('defers when spamd does not reply within the timeout, and passes with onError pass', async () => {
    const fake = await fakeSpamd(() => undefined);
    try {
      await assert.rejects(
        new SpamAssassin({ port: fake.port, timeout: 300 }).apply(ctx(hamMail)),
        /no reply within 300 ms/,
      );
      const effect = await new SpamAssassin({ port: fake.port, timeout: 300, onError: 'pass' }).apply(ctx(hamMail));
      assert.deepEqual(effect, { verdicts: { skipped: `spamd: 127.0.0.1:${fake.port}: no reply within 300 ms` } });
    } finally {
      fake.server.close();
    }
  });

  it('sends SYMBOLS SPAMC/1.5 with Content-length and User, then the message; an error reply defers', async () => {
    const fake = await fakeSpamd((socket) =>
      socket.end('SPAMD/1.0 76 Bad header line: (Content-length mismatch: 1 vs. 2)\r\n'),
    );
    try {
      await assert.rejects(
        new SpamAssassin({ port: fake.port }).apply(ctx(hamMail)),
        /spamd: replied 76 Bad header line/,
      );
      const expected = Buffer.concat([
        Buffer.from(`SYMBOLS SPAMC/1.5\r\nContent-length: ${hamMail.length}\r\nUser: mailtrail\r\n\r\n`),
        hamMail,
      ]);
      assert.deepEqual(fake.requests[0], expected);
    } finally {
      fake.server.close();
    }
  });

  it('throws an InvariantError when the queue gives no openMessage()', async () => {
    await assert.rejects(new SpamAssassin().apply(context(HEADERS)), InvariantError);
  });
});
