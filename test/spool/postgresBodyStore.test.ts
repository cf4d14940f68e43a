/**
 * PostgresBodyStore on a real PostgreSQL server: bodies stored as chunked rows come back
 * byte for byte to another node's store (another pool, as another daemon would have), with
 * policy headers prepended and CRLF → LF on request; a body too large or an id stored twice
 * is refused; a failed store leaves nothing readable; remove forgets it; a server that is down
 * turns a store into SpoolIoError (451 4.3.0), never a body acknowledged without its commit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresBodyStore, BODY_CHUNK } from '../../src/spool/postgresBodyStore.js';
import { BodyExistsError, BodyMissingError, BodyTooLargeError, SpoolIoError } from '../../src/spool/spoolErrors.js';
import { startPostgres, type PostgresServer } from '../support/postgresServer.js';

let server: PostgresServer;
let url: string;
const dir = mkdtempSync(join(tmpdir(), 'mailtrail-pgbody-'));
const stores: PostgresBodyStore[] = [];
const store = (node: string) => {
  const s = new PostgresBodyStore(join(dir, node), url);
  stores.push(s);
  return s;
};
before(async () => {
  server = await startPostgres();
  url = await server.createDatabase('bodies');
});
after(async () => {
  await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function read(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('PostgresBodyStore', () => {
  it('stores a body of several chunks that another node reads back byte for byte, with headers prepended and LF on request', async () => {
    const a = store('a');
    const b = store('b');
    const line = `${'x'.repeat(998)}\r\n`;
    const body = Buffer.from(`Subject: big\r\n\r\n${line.repeat(Math.ceil((BODY_CHUNK * 2.5) / line.length))}`);
    const pieces = [body.subarray(0, 1000), body.subarray(1000, BODY_CHUNK + 7), body.subarray(BODY_CHUNK + 7)];
    const stored = await a.store('AAAA0001', pieces);
    assert.equal(stored.ref, 'bodies/AAAA0001');
    assert.equal(stored.size, body.length);
    assert.equal(stored.sha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(stored.headerBlock, 'Subject: big\r\n');
    assert.ok((await read(b.open(stored.ref))).equals(body));
    assert.ok(
      (await read(b.open(stored.ref, { prepend: 'X-A: 1\r\n' }))).equals(
        Buffer.concat([Buffer.from('X-A: 1\r\n'), body]),
      ),
    );
    assert.equal(
      (await read(b.open(stored.ref, { lineEndings: 'lf' }))).toString(),
      body.toString().replaceAll('\r\n', '\n'),
    );
    assert.deepEqual(await b.verify(stored.ref, stored.sha256), { ok: true, sha256: stored.sha256, size: body.length });
    assert.ok(await b.exists(stored.ref));
    assert.ok((await b.list()).includes('AAAA0001'));
    await assert.rejects(b.store('AAAA0001', ['again']), BodyExistsError);
    assert.equal(await b.remove(stored.ref), true);
    assert.equal(await a.exists(stored.ref), false);
    // Its chunks went with it, in the same statement.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query<{ n: string }>(
        "SELECT count(*) AS n FROM mailtrail_body_chunks WHERE id = 'AAAA0001'",
      );
      assert.equal(rows[0]?.n, '0');
    } finally {
      await db.end();
    }
    assert.equal(await b.remove(stored.ref), false, 'a second remove finds nothing');
    await assert.rejects(read(a.open(stored.ref)), BodyMissingError);
  });

  it('refuses a body over maxSize with 552 and keeps nothing of it', async () => {
    const a = store('c');
    await assert.rejects(a.store('AAAA0002', ['12345', '67890'], { maxSize: 8 }), BodyTooLargeError);
    assert.equal(await a.exists('bodies/AAAA0002'), false);
    assert.ok(!(await a.list()).includes('AAAA0002'));
    // The id is free again: the failed store removed its row.
    await a.store('AAAA0002', ['ok\r\n']);
  });

  it('answers SpoolIoError (451 4.3.0) while the server is down, and stores again once it is back', async () => {
    const a = store('d');
    await a.store('AAAA0003', ['before\r\n']);
    await server.kill();
    try {
      await assert.rejects(a.store('AAAA0004', ['during\r\n']), (err: unknown) => {
        assert.ok(err instanceof SpoolIoError, String(err));
        assert.equal(err.smtpCode, 451);
        return true;
      });
    } finally {
      await server.restart();
    }
    await a.store('AAAA0004', ['after\r\n']);
    assert.equal((await read(a.open('bodies/AAAA0004'))).toString(), 'after\r\n');
  });
});
