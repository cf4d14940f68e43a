/**
 * PostgresBodyStore: the spool's port (store, open, remove, exists, list, verify,
 * quarantineUnknown) over PostgreSQL, so every daemon that shares the log can read every body
 * (relays, policies, show, bounce, split). A body is rows of `mailtrail_body_chunks` (256 KiB
 * of bytea each) and one `mailtrail_bodies` row that is written first (its primary key
 * refuses a second body of that id: BodyExistsError) and marked complete, with size and
 * sha256, by the last statement. Each statement commits on its own, so a slow SMTP client
 * never holds a transaction open (which would hold back every node's reader of the log);
 * store() resolves only after the completing commit (durable as PostgreSQL's commit is,
 * synchronous_commit on), and the caller appends MessageReceived after that, as with files.
 * A body never completed (a crash mid-DATA) is never read; it stays until removed. Failures
 * to reach the server are SpoolIoError (451 4.3.0: the client retries). The local directory
 * (quarantine/, for requeue) stays the Spool's.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import pg from 'pg';
import { MailtrailError } from '../errors/mailtrailError.js';
import { HeaderBlockCapture } from '../mail/headerBlock.js';
import { assertBodyId, idForRef, refForId } from './bodyId.js';
import { READ_CHUNK, type OpenBodyOptions } from './bodyReader.js';
import { CrlfToLf } from './lineEndings.js';
import {
  Spool,
  type BodySource,
  type SpoolOptions,
  type StoreOptions,
  type StoredBody,
  type VerifyResult,
} from './spool.js';
import { BodyExistsError, BodyMissingError, BodyTooLargeError, SpoolIoError } from './spoolErrors.js';

/** Bytes per row of mailtrail_body_chunks. */
export const BODY_CHUNK = 256 * 1024;

/** Nodes starting together serialise on this advisory lock (CREATE … IF NOT EXISTS races otherwise). */
const SCHEMA = `
BEGIN;
SELECT pg_advisory_xact_lock(7311042914);
CREATE TABLE IF NOT EXISTS mailtrail_bodies (
  id        text        PRIMARY KEY,
  complete  boolean     NOT NULL DEFAULT false,
  size      bigint,
  sha256    text,
  envelope  json,
  stored_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS mailtrail_body_chunks (
  id   text   NOT NULL,
  n    int    NOT NULL,
  data bytea  NOT NULL,
  PRIMARY KEY (id, n)
);
COMMIT;`;

function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

export interface PostgresBodyStoreOptions extends SpoolOptions {
  /** Connections for bodies (their own pool, beside the log's). Default 4. */
  poolSize?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

export class PostgresBodyStore extends Spool {
  private readonly pool: pg.Pool;
  private schema: Promise<void> | undefined;

  /** `root` holds only quarantine/ (and an empty bodies/): the bodies live in the database. */
  constructor(root: string, connectionString: string, options: PostgresBodyStoreOptions = {}) {
    super(root, options);
    this.pool = new pg.Pool({
      connectionString,
      max: options.poolSize ?? 4,
      application_name: options.applicationName ?? 'mailtrail bodies',
      connectionTimeoutMillis: 5000,
    });
    this.pool.on('error', () => undefined);
  }

  private ready(): Promise<void> {
    this.schema ??= this.pool.query(SCHEMA).then(
      () => undefined,
      (cause: unknown) => {
        this.schema = undefined;
        throw cause;
      },
    );
    return this.schema;
  }

  /** Runs a query, turning a failure to reach or use the database into SpoolIoError. */
  private async q<R extends pg.QueryResultRow>(
    op: string,
    ref: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      await this.ready();
      return await this.pool.query<R>(text, values);
    } catch (err) {
      if (err instanceof MailtrailError) throw err;
      throw new SpoolIoError(op, ref, err);
    }
  }

  override async store(id: string, body: BodySource, opts: StoreOptions = {}): Promise<StoredBody> {
    const ref = refForId(id);
    try {
      await this.ready();
      await this.pool.query('INSERT INTO mailtrail_bodies (id, envelope) VALUES ($1, $2)', [
        id,
        opts.envelope ? JSON.stringify(opts.envelope) : null,
      ]);
    } catch (err) {
      if (err instanceof pg.DatabaseError && err.code === '23505') throw new BodyExistsError(id, err);
      throw new SpoolIoError('create', ref, err);
    }
    const hash = createHash('sha256');
    const header = new HeaderBlockCapture();
    let headerDone = false;
    let size = 0;
    let n = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const buf = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.q('write', ref, 'INSERT INTO mailtrail_body_chunks (id, n, data) VALUES ($1, $2, $3)', [id, n++, buf]);
    };
    try {
      for await (const chunk of body as AsyncIterable<Buffer | Uint8Array | string>) {
        const buf = toBuffer(chunk);
        size += buf.length;
        if (opts.maxSize !== undefined && size > opts.maxSize) throw new BodyTooLargeError(opts.maxSize);
        hash.update(buf);
        if (!headerDone) headerDone = header.push(buf);
        pending.push(buf);
        pendingBytes += buf.length;
        if (pendingBytes >= BODY_CHUNK) await flush();
      }
      await flush();
      const sha256 = hash.digest('hex');
      await this.q('commit', ref, 'UPDATE mailtrail_bodies SET complete = true, size = $2, sha256 = $3 WHERE id = $1', [
        id,
        size,
        sha256,
      ]);
      return { ref, size, sha256, headerBlock: header.block };
    } catch (err) {
      await this.remove(ref).catch(() => undefined);
      throw err;
    }
  }

  override open(ref: string, opts: OpenBodyOptions = {}): Readable {
    return Readable.from(this.chunks(ref, opts), { objectMode: false, highWaterMark: READ_CHUNK });
  }

  private async *chunks(ref: string, opts: OpenBodyOptions): AsyncGenerator<Buffer> {
    const id = idForRef(ref);
    const { rows } = await this.q<{ complete: boolean }>(
      'open',
      ref,
      'SELECT complete FROM mailtrail_bodies WHERE id = $1',
      [id],
    );
    if (!rows[0]?.complete) throw new BodyMissingError(ref);
    const conv = opts.lineEndings === 'lf' ? new CrlfToLf() : undefined;
    const out = (b: Buffer): Buffer => (conv ? conv.push(b) : b);
    if (opts.prepend !== undefined && opts.prepend.length > 0) {
      const p = out(typeof opts.prepend === 'string' ? Buffer.from(opts.prepend, 'utf8') : opts.prepend);
      if (p.length > 0) yield p;
    }
    for (let n = 0; ; n++) {
      const got = await this.q<{ data: Buffer }>(
        'read',
        ref,
        'SELECT data FROM mailtrail_body_chunks WHERE id = $1 AND n = $2',
        [id, n],
      );
      const row = got.rows[0];
      if (!row) break;
      const b = out(row.data);
      if (b.length > 0) yield b;
    }
    const tail = conv?.flush();
    if (tail && tail.length > 0) yield tail;
  }

  override async remove(ref: string): Promise<boolean> {
    // One statement, so one transaction: never a row marked complete whose chunks are gone.
    const { rowCount } = await this.q(
      'unlink',
      ref,
      'WITH chunks AS (DELETE FROM mailtrail_body_chunks WHERE id = $1) DELETE FROM mailtrail_bodies WHERE id = $1',
      [idForRef(ref)],
    );
    return (rowCount ?? 0) > 0;
  }

  override async exists(ref: string): Promise<boolean> {
    const { rows } = await this.q('stat', ref, 'SELECT 1 FROM mailtrail_bodies WHERE id = $1 AND complete', [
      idForRef(ref),
    ]);
    return rows.length > 0;
  }

  /** Ids of the complete bodies, sorted. */
  override async list(): Promise<string[]> {
    const { rows } = await this.q<{ id: string }>(
      'readdir',
      'bodies',
      'SELECT id FROM mailtrail_bodies WHERE complete ORDER BY id',
      [],
    );
    return rows.map((r) => r.id);
  }

  override async hasBodies(): Promise<boolean> {
    const { rows } = await this.q('readdir', 'bodies', 'SELECT 1 FROM mailtrail_bodies WHERE complete LIMIT 1', []);
    return rows.length > 0;
  }

  /**
   * Nothing is moved: on a shared store another node may be between storing a body and
   * appending its MessageReceived, so "unknown" proves nothing at one node's start. Bodies
   * without a message stay in the table (docs/scaling.md).
   */
  override async quarantineUnknown(): Promise<string[]> {
    return [];
  }

  override async verify(ref: string, sha256: string): Promise<VerifyResult> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of this.chunks(ref, {})) {
      hash.update(chunk);
      size += chunk.length;
    }
    const actual = hash.digest('hex');
    return { ok: actual === sha256.toLowerCase(), sha256: actual, size };
  }

  /** Bodies in the database have no path. */
  override pathOf(ref: string): string {
    throw new BodyMissingError(`${assertBodyId(idForRef(ref))} (stored in PostgreSQL, not in a file)`);
  }

  /** Closes the pool. */
  async close(): Promise<void> {
    await this.pool.end();
  }
}
