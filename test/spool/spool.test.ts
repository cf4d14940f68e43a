/**
 * The spool's behaviour on a real temporary directory: streaming store, sha256/size,
 * exclusive create, maxSize and source failures leaving no partial file, traversal refused,
 * read-back with prepend and CRLF → LF, the envelope kept before the body, quarantine (never unlink), verify, coalesced directory fsync.
 * Each test gets its own root under os.tmpdir(), removed in afterEach.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { readHeaderBlock } from '../../src/mail/headerBlock.js';
import {
  BodyExistsError,
  BodyMissingError,
  BodyTooLargeError,
  InvalidBodyIdError,
  READ_CHUNK,
  Spool,
  WRITE_BATCH,
} from '../../src/spool/index.js';

let parent: string;
let root: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'mailtrail-spool-'));
  root = join(parent, 'spool');
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

describe('Spool.store', () => {
  it('creates <root>/bodies with mode 0700', () => {
    new Spool(root);
    assert.equal(statSync(join(root, 'bodies')).mode & 0o777, 0o700);
  });

  it('streams a multi-MB body to disk as it is produced, with the right sha256 and size', async () => {
    const spool = new Spool(root);
    const chunkSize = 64 * 1024;
    const count = 128; // 8 MiB
    const expected = createHash('sha256');
    let lagMax = 0;
    async function* produce(): AsyncGenerator<Buffer> {
      for (let i = 0; i < count; i++) {
        const onDisk = i === 0 ? 0 : statSync(join(root, 'bodies', 'big')).size;
        lagMax = Math.max(lagMax, i * chunkSize - onDisk); // bytes produced but not yet written
        const buf = Buffer.alloc(chunkSize, i % 251);
        buf.write(`chunk ${i}\r\n`);
        expected.update(buf);
        yield buf;
      }
    }
    const { headerBlock, ...stored } = await spool.store('big', produce());
    assert.deepEqual(stored, { ref: 'bodies/big', size: count * chunkSize, sha256: expected.digest('hex') });
    assert.equal(headerBlock?.length, 256 * 1024, 'a body with no empty line: its header block is cut at 256 KiB');
    assert.equal(statSync(join(root, 'bodies', 'big')).size, count * chunkSize);
    assert.ok(lagMax <= WRITE_BATCH + chunkSize, `held ${lagMax} bytes in memory`);
  });

  it('keeps the header block as it streams past, as readHeaderBlock reads it back', async () => {
    const spool = new Spool(root);
    const chunks = ['Subject: split', ' across chunks\r\nFrom: a@example.test\r', '\n\r\nbody line\r\n\r\nmore\r\n'];
    const stored = await spool.store(
      'headers',
      chunks.map((c) => Buffer.from(c)),
    );
    assert.equal(stored.headerBlock, 'Subject: split across chunks\r\nFrom: a@example.test\r\n');
    assert.equal(stored.headerBlock, await readHeaderBlock(spool.open(stored.ref)));
  });

  it('accepts a Node Readable and Uint8Array/string chunks', async () => {
    const spool = new Spool(root);
    const src = Readable.from([Buffer.from('Subject: x\r\n'), new Uint8Array([13, 10]), 'hi\r\n']);
    const stored = await spool.store('r1', src);
    assert.equal(stored.size, 18);
    assert.equal(stored.sha256, createHash('sha256').update('Subject: x\r\n\r\nhi\r\n').digest('hex'));
  });

  it('refuses a second store under the same id and keeps the first body', async () => {
    const spool = new Spool(root);
    await spool.store('m1', chunks('first'));
    await assert.rejects(spool.store('m1', chunks('second')), BodyExistsError);
    assert.equal(await text(spool.open('bodies/m1')), 'first');
  });

  it('rejects with 552 5.3.4 past maxSize and unlinks the partial file', async () => {
    const spool = new Spool(root);
    const big = Array.from({ length: 10 }, () => 'x'.repeat(WRITE_BATCH));
    await assert.rejects(spool.store('m2', chunks(...big), { maxSize: 3 * WRITE_BATCH }), (err: unknown) => {
      assert.ok(err instanceof BodyTooLargeError);
      assert.equal(err.code, 'ERR_SPOOL_TOO_LARGE');
      assert.equal(err.smtpCode, 552);
      assert.equal(err.enhancedStatus, '5.3.4');
      return true;
    });
    assert.deepEqual(readdirSync(join(root, 'bodies')), []);
    const exact = await spool.store('m3', chunks('12345'), { maxSize: 5 });
    assert.equal(exact.size, 5);
  });

  it('unlinks the partial file and rethrows when the source fails', async () => {
    const spool = new Spool(root);
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(WRITE_BATCH * 2, 1);
      throw new Error('client went away');
    }
    await assert.rejects(spool.store('m4', failing()), /client went away/);
    assert.equal(await spool.exists('bodies/m4'), false);
  });

  it('refuses ids and refs that could leave the spool, before touching the disk', async () => {
    const spool = new Spool(root);
    const badIds = [
      '../x',
      '..',
      'a/b',
      '',
      '.',
      '.hidden',
      'a..b',
      '/etc/passwd',
      'a\0b',
      'a\\b',
      'é',
      'x'.repeat(201),
    ];
    for (const id of badIds) {
      await assert.rejects(spool.store(id, chunks('x')), InvalidBodyIdError, `id ${JSON.stringify(id)}`);
    }
    const badRefs = ['../bodies/x', 'bodies/../../x', 'bodies/', 'x', '/tmp/x', 'bodies/a/b', 'bodies/..'];
    for (const ref of badRefs) {
      assert.throws(() => spool.open(ref), InvalidBodyIdError, `ref ${ref}`);
      await assert.rejects(spool.remove(ref), InvalidBodyIdError);
      await assert.rejects(spool.exists(ref), InvalidBodyIdError);
    }
    assert.deepEqual(readdirSync(parent), ['spool']);
    assert.deepEqual(readdirSync(join(root, 'bodies')), []);
  });

  it('shares directory fsyncs between concurrent stores', async () => {
    const spool = new Spool(root);
    const n = 64;
    await Promise.all(Array.from({ length: n }, (_, i) => spool.store(`p${i}`, chunks(`body ${i}\r\n`))));
    assert.equal((await spool.list()).length, n);
    assert.ok(spool.dirSyncCount >= 1 && spool.dirSyncCount < n, `dir fsyncs: ${spool.dirSyncCount} for ${n} stores`);
  });
});

describe('Spool.open', () => {
  it('emits prepend then the body, as stored (CRLF)', async () => {
    const spool = new Spool(root);
    const { ref } = await spool.store('o1', chunks('Subject: hi\r\n', '\r\nbody\r\n'));
    assert.equal(
      await text(spool.open(ref, { prepend: 'Received: by mailtrail\r\n' })),
      'Received: by mailtrail\r\nSubject: hi\r\n\r\nbody\r\n',
    );
  });

  it('converts CRLF to LF, including a CRLF split across read chunks, and keeps lone CRs', async () => {
    const spool = new Spool(root);
    const head = `${'a'.repeat(READ_CHUNK - 1)}\r`; // the CR ends the first read chunk
    const body = `${head}\nline2\r\nlone\rcr\r\n${'b'.repeat(READ_CHUNK)}\r`;
    const { ref } = await spool.store('o2', chunks(body));
    const out = await text(spool.open(ref, { prepend: Buffer.from('X-Policy: 1\r\n'), lineEndings: 'lf' }));
    const want = `X-Policy: 1\n${'a'.repeat(READ_CHUNK - 1)}\nline2\nlone\rcr\n${'b'.repeat(READ_CHUNK)}\r`;
    assert.equal(out.length, want.length);
    assert.ok(out === want);
  });

  it('converts a CRLF split between prepend and body', async () => {
    const spool = new Spool(root);
    const { ref } = await spool.store('o3', chunks('\nrest\r\n'));
    assert.equal(await text(spool.open(ref, { prepend: 'H: v\r', lineEndings: 'lf' })), 'H: v\nrest\n');
  });

  it('fails the stream with BodyMissingError, emitting nothing, when the body is gone', async () => {
    const spool = new Spool(root);
    const seen: Buffer[] = [];
    const stream = spool.open('bodies/nope', { prepend: 'H: v\r\n' });
    await assert.rejects(async () => {
      for await (const c of stream) seen.push(c as Buffer);
    }, BodyMissingError);
    assert.deepEqual(seen, []);
  });
});

describe('Spool maintenance', () => {
  it('exists, remove and list', async () => {
    const spool = new Spool(root);
    const { ref } = await spool.store('k1', chunks('x'));
    await spool.store('k2', chunks('y'));
    writeFileSync(join(root, 'bodies', '.tmp-junk'), 'z'); // not a valid id: not listed
    assert.deepEqual(await spool.list(), ['k1', 'k2']);
    assert.equal(await spool.exists(ref), true);
    assert.equal(await spool.remove(ref), true);
    assert.equal(await spool.remove(ref), false);
    assert.equal(await spool.exists(ref), false);
    assert.deepEqual(await spool.list(), ['k2']);
  });

  it('quarantines (never unlinks) the bodies no MessageReceived references, envelope kept', async () => {
    const spool = new Spool(root);
    const envelope = { sender: 'alice@remote.test', recipients: ['bob@example.test'], at: '2026-11-25T12:00:00.000Z' };
    for (const id of ['a1', 'a2', 'orphan1', 'a3', 'orphan2']) await spool.store(id, chunks(id), { envelope });
    const referenced = new Set(['a1', 'a2', 'a3', 'never-stored']);
    const moved = await spool.quarantineUnknown(async (id) => referenced.has(id));
    assert.deepEqual(moved.sort(), ['orphan1', 'orphan2']);
    assert.deepEqual(await spool.list(), ['a1', 'a2', 'a3']);
    assert.deepEqual(await spool.listQuarantined(), ['orphan1', 'orphan2']);
    assert.equal(statSync(join(root, 'quarantine')).mode & 0o777, 0o700);
    assert.deepEqual(await spool.envelopeOf('orphan1', 'quarantine'), envelope);
    const ref = await spool.unquarantine('orphan1');
    assert.deepEqual(await spool.listQuarantined(), ['orphan2']);
    assert.equal(await text(spool.open(ref)), 'orphan1');
    // The same name quarantined again never replaces the body already there.
    await spool.store('orphan2', chunks('second'), { envelope });
    assert.deepEqual(await spool.quarantineUnknown(() => false), ['a1', 'a2', 'a3', 'orphan1', 'orphan2.1']);
    assert.equal(readFileSync(join(root, 'quarantine', 'orphan2'), 'utf8').endsWith('orphan2'), true);
    assert.equal(readFileSync(join(root, 'quarantine', 'orphan2.1'), 'utf8').endsWith('second'), true);
  });

  it('keeps the envelope in the body file but out of the body, its size and its digest', async () => {
    const spool = new Spool(root);
    const envelope = {
      sender: '',
      recipients: ['x@example.test', 'y@example.test'],
      at: '2026-11-25T12:00:00.000Z',
      client: { ip: '192.0.2.7', protocol: 'ESMTP' },
    };
    const plain = await spool.store('p1', chunks('Subject: s\r\n\r\nbody\r\n'));
    const withEnv = await spool.store('e1', chunks('Subject: s\r\n\r\nbody\r\n'), { envelope, maxSize: 20 });
    assert.deepEqual({ size: withEnv.size, sha256: withEnv.sha256 }, { size: plain.size, sha256: plain.sha256 });
    assert.ok(readFileSync(join(root, 'bodies', 'e1')).includes('x@example.test'));
    assert.equal(await text(spool.open(withEnv.ref)), 'Subject: s\r\n\r\nbody\r\n');
    assert.equal(
      await text(spool.open(withEnv.ref, { prepend: 'H: 1\r\n', lineEndings: 'lf' })),
      'H: 1\nSubject: s\n\nbody\n',
    );
    assert.equal((await spool.verify(withEnv.ref, plain.sha256)).ok, true);
    assert.deepEqual(await spool.envelopeOf('e1'), envelope);
    assert.equal(await spool.envelopeOf('p1'), undefined, 'a body written without one has none');
    assert.equal((await spool.prefixOf('e1')).complete, true);
    // A crash mid-DATA leaves the body cut short: its size field never matches.
    const file = join(root, 'bodies', 'e1');
    writeFileSync(file, readFileSync(file).subarray(0, -3));
    assert.equal((await spool.prefixOf('e1')).complete, false);
  });

  it('verify recomputes the sha256 and detects a changed body', async () => {
    const spool = new Spool(root);
    const stored = await spool.store('v1', chunks('hello\r\n'));
    assert.deepEqual(await spool.verify(stored.ref, stored.sha256.toUpperCase()), {
      ok: true,
      sha256: stored.sha256,
      size: 7,
    });
    writeFileSync(join(root, 'bodies', 'v1'), 'hellO\r\n');
    assert.equal((await spool.verify(stored.ref, stored.sha256)).ok, false);
    await assert.rejects(spool.verify('bodies/v2', stored.sha256), BodyMissingError);
    assert.equal(existsSync(join(root, 'bodies', 'v2')), false);
  });
});
