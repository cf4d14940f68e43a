/**
 * Inline bodies with the real sqlite log: a body within the threshold is never a file, its
 * bytes commit in the same append as the event naming it, and the spool reads it back
 * transparently (open with prepend and CRLF → LF, exists, verify, remove); a body past the
 * threshold keeps streaming into its file; maxSize still applies; a log that keeps no bodies
 * rejects an append with bodies instead of dropping them; a failed append leaves no body.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ExpectedRevisionConflictError } from '../../src/eventlog/eventLog.js';
import { MemoryEventLog } from '../../src/eventlog/memory/memoryEventLog.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { InvariantError } from '../../src/errors/mailtrailError.js';
import { inlineBodyStore } from '../../src/daemon/inlineBodyStore.js';
import { BodyMissingError, BodyTooLargeError, Spool } from '../../src/spool/index.js';

let dir: string;
let log: SqliteEventLog;
let spool: Spool;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mailtrail-inline-'));
  log = new SqliteEventLog(join(dir, 'events.sqlite'));
  spool = new Spool(join(dir, 'spool'), { inline: inlineBodyStore(1024, log)! });
});
afterEach(async () => {
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

const body = 'Subject: hi\r\nFrom: a@x.test\r\n\r\nline one\r\nline two\r\n';

describe('inline bodies', () => {
  it('keeps a small body in memory, commits it with the event, and reads it back like a file', async () => {
    const stored = await spool.store(
      'Q1',
      chunks('Subject: hi\r\n', 'From: a@x.test\r\n\r\nline one\r\n', 'line two\r\n'),
    );
    assert.equal(stored.ref, 'inline/Q1');
    assert.equal(stored.size, Buffer.byteLength(body));
    assert.equal(stored.sha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(stored.headerBlock, 'Subject: hi\r\nFrom: a@x.test\r\n');
    assert.equal(stored.inline?.toString(), body);
    assert.deepEqual(readdirSync(spool.bodiesDir), [], 'no body file');
    assert.equal(await spool.exists(stored.ref), false, 'not readable before its append commits');

    await log.append('message-Q1', [{ type: 'MessageReceived', data: { bodyRef: stored.ref } }], {
      expectedRevision: 'no_stream',
      bodies: [{ id: 'Q1', bytes: stored.inline! }],
    });
    assert.equal(await spool.exists(stored.ref), true);
    assert.equal(await text(spool.open(stored.ref)), body);
    assert.equal(
      await text(spool.open(stored.ref, { prepend: 'Received: x\r\n', lineEndings: 'lf' })),
      'Received: x\nSubject: hi\nFrom: a@x.test\n\nline one\nline two\n',
    );
    assert.deepEqual(await spool.verify(stored.ref, stored.sha256), {
      ok: true,
      sha256: stored.sha256,
      size: stored.size,
    });

    assert.equal(await spool.remove(stored.ref), true);
    assert.equal(await spool.remove(stored.ref), false);
    await assert.rejects(text(spool.open(stored.ref)), BodyMissingError);
  });

  it('is visible to a readonly connection (the CLI) once committed', async () => {
    const stored = await spool.store('Q2', [body]);
    await log.append('message-Q2', [{ type: 'MessageReceived', data: {} }], {
      bodies: [{ id: 'Q2', bytes: stored.inline! }],
    });
    const reader = new SqliteEventLog(join(dir, 'events.sqlite'), { readonly: true });
    try {
      assert.equal(reader.readBody('Q2')?.toString(), body);
      assert.equal(reader.readBody('Q3'), undefined);
    } finally {
      await reader.close();
    }
  });

  it('streams a body past the threshold into its file, chunks already read included', async () => {
    const big = 'x'.repeat(700);
    const stored = await spool.store('Q4', chunks('Subject: big\r\n\r\n', big, big, big));
    assert.equal(stored.ref, 'bodies/Q4');
    assert.equal(stored.inline, undefined);
    assert.equal(await text(spool.open(stored.ref)), `Subject: big\r\n\r\n${big}${big}${big}`);
    assert.ok(readFileSync(join(spool.bodiesDir, 'Q4')).includes(Buffer.from(`${big}${big}${big}`)));
  });

  it('reads a stream (as the SMTP edge hands it) by its events: small inline, large on into its file, errors passed on', async () => {
    const feed = (parts: string[], error?: Error): PassThrough => {
      const s = new PassThrough();
      setImmediate(() => {
        for (const p of parts) s.write(p);
        if (error) s.destroy(error);
        else s.end();
      });
      return s;
    };
    const small = await spool.store('S1', feed(['Subject: s\r\n', '\r\nsmall\r\n']));
    assert.equal(small.ref, 'inline/S1');
    assert.equal(small.inline?.toString(), 'Subject: s\r\n\r\nsmall\r\n');
    const parts = ['Subject: l\r\n\r\n', 'y'.repeat(900), 'z'.repeat(900), 'w'.repeat(900)];
    const large = await spool.store('S2', feed(parts));
    assert.equal(large.ref, 'bodies/S2');
    assert.equal(await text(spool.open(large.ref)), parts.join(''));
    await assert.rejects(
      spool.store('S3', feed(['Subject: e\r\n'], new Error('client went away'))),
      /client went away/,
    );
    await assert.rejects(
      spool.store('S4', feed(['a'.repeat(600), 'b'.repeat(600)]), { maxSize: 1000 }),
      BodyTooLargeError,
    );
    assert.deepEqual(readdirSync(spool.bodiesDir), ['S2']);
  });

  it('still enforces maxSize within the threshold', async () => {
    await assert.rejects(
      spool.store('Q5', chunks('a'.repeat(300), 'b'.repeat(300)), { maxSize: 500 }),
      BodyTooLargeError,
    );
    assert.deepEqual(readdirSync(spool.bodiesDir), []);
  });

  it('inline: false forces a file', async () => {
    const stored = await spool.store('Q6', [body], { inline: false });
    assert.equal(stored.ref, 'bodies/Q6');
  });

  it('a rejected append leaves no body behind', async () => {
    await log.append('message-Q7', [{ type: 'MessageReceived', data: {} }]);
    const stored = await spool.store('Q7', [body]);
    await assert.rejects(
      log.append('message-Q7', [{ type: 'MessageReceived', data: {} }], {
        expectedRevision: 'no_stream',
        bodies: [{ id: 'Q7', bytes: stored.inline! }],
      }),
      ExpectedRevisionConflictError,
    );
    assert.equal(await spool.exists(stored.ref), false);
  });

  it('a log without a body store rejects an append with bodies rather than dropping them', async () => {
    const memory = new MemoryEventLog();
    await assert.rejects(
      memory.append('message-Q8', [{ type: 'MessageReceived', data: {} }], {
        bodies: [{ id: 'Q8', bytes: Buffer.from(body) }],
      }),
      InvariantError,
    );
    await memory.close();
  });

  it('a spool without the store cannot read an inline ref (BodyMissingError), and writes files', async () => {
    const files = new Spool(join(dir, 'spool'));
    await assert.rejects(text(files.open('inline/Q9')), BodyMissingError);
    assert.equal((await files.store('Q9', [body])).ref, 'bodies/Q9');
  });
});

describe('inline bodies with the writer thread', () => {
  it('commit with their event and read back on the main connection', async () => {
    const threaded = new SqliteEventLog(join(dir, 'threaded.sqlite'), { writer: 'thread' });
    try {
      const s = new Spool(join(dir, 'spool2'), { inline: inlineBodyStore(1024, threaded)! });
      const stored = await s.store('T1', [body]);
      await threaded.append('message-T1', [{ type: 'MessageReceived', data: {} }], {
        bodies: [{ id: 'T1', bytes: stored.inline! }],
      });
      assert.equal(await text(s.open(stored.ref)), body);
    } finally {
      await threaded.close();
    }
  });
});
