/**
 * The spool: message bodies as files under <root>/bodies/<id>, written once, read many times.
 * With an InlineBodyStore (inlineBodies.ts), a body no larger than its threshold is kept in
 * memory instead and returned as `inline` bytes with ref "inline/<id>": the caller commits them
 * with MessageReceived, and open/remove/exists/verify read them back through the store.
 * store() streams a body to disk (exclusive create, 64 KiB writes, sha256 and size computed
 * on the way), fsyncs the file, then the directory (coalesced, see dirSync.ts), and only then
 * resolves: the caller appends MessageReceived after that. Any failure unlinks the partial
 * file and rejects (BodyTooLargeError, SpoolIoError, or the source's own error). Ids and refs
 * are validated before any path is built (bodyId.ts). Bodies are stored as received (CRLF).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { open, opendir, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { type BodySource, collect, iterate, resume, toBuffer } from './bodySource.js';

export type { BodySource } from './bodySource.js';
import { MailtrailError } from '../errors/mailtrailError.js';
import { HeaderBlockCapture } from '../mail/headerBlock.js';
import { BODIES_DIR, assertBodyId, idForRef, isValidBodyId, refForId } from './bodyId.js';
import { openBody, type OpenBodyOptions } from './bodyReader.js';
import {
  idForInlineRef,
  inlineRefForId,
  isInlineRef,
  openInlineBody,
  readInline,
  type InlineBodyStore,
} from './inlineBodies.js';
import { DirSync, fsyncDirSync, type FsyncDir } from './dirSync.js';
import { BodyExistsError, BodyMissingError, BodyTooLargeError, SpoolIoError } from './spoolErrors.js';
import {
  encodeEnvelope,
  readEnvelopePrefix,
  sizeField,
  type EnvelopePrefix,
  type SpooledEnvelope,
} from './spooledEnvelope.js';

/** Where bodies the log does not know are kept: <root>/quarantine/<id>. */
export const QUARANTINE_DIR = 'quarantine';

/** Bytes gathered before one write(2): bounds memory per store to about this plus a chunk. */
export const WRITE_BATCH = 64 * 1024;

export interface StoreOptions {
  /** Largest body accepted, in bytes; beyond it → BodyTooLargeError (552 5.3.4). */
  maxSize?: number;
  /** Written before the body in the same file (and fsync), for quarantine and recovery. */
  envelope?: SpooledEnvelope;
  /** false: always a file, even for a small body (the body must be on disk before any event names it). */
  inline?: boolean;
}

export interface StoredBody {
  /** "bodies/<id>", relative to the spool root: MessageReceived.bodyRef. */
  readonly ref: string;
  readonly size: number;
  /** Lower-case hex sha256 of the bytes as stored. */
  readonly sha256: string;
  /** The original header block, kept while storing (so the queue need not read it back). */
  readonly headerBlock?: string;
  /**
   * An inline body's bytes (ref "inline/<id>"): nothing is on disk yet; the caller must commit
   * them with the event that names the ref (EventLog append option `bodies`).
   */
  readonly inline?: Buffer;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly sha256: string;
  readonly size: number;
}

export interface SpoolOptions {
  /** Replaces the directory fsync (tests, or file systems without one). */
  fsyncDir?: FsyncDir;
  /** Where small bodies are kept instead of files (the event log's store); none: always files. */
  inline?: InlineBodyStore;
}

/** A spool opened without the log's store reads no inline body (BodyMissingError on the stream). */
const NO_INLINE_STORE: InlineBodyStore = { threshold: 0, read: () => undefined, remove: () => false };

/** The StoredBody of an inline body: its bytes, digest and header block, nothing on disk. */
function inlineStored(ref: string, chunks: readonly Buffer[], size: number): StoredBody {
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  const header = new HeaderBlockCapture();
  header.push(bytes);
  return {
    ref,
    size,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    headerBlock: header.block,
    inline: bytes,
  };
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Runs a disk operation, turning its failure into SpoolIoError. */
async function io<T>(op: string, target: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MailtrailError) throw err;
    throw new SpoolIoError(op, target, err);
  }
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

export class Spool {
  readonly root: string;
  readonly bodiesDir: string;
  readonly quarantineDir: string;
  private readonly dirSync: DirSync;
  private readonly inline: InlineBodyStore | undefined;
  /** Ids whose store() is under way: never swept. */
  private readonly storing = new Set<string>();
  /**
   * Armed by guardNewBodies() until the next sweep ends: every id this spool stores or
   * unquarantines meanwhile, so a sweep that runs while mail is accepted never takes a body
   * whose MessageReceived is still on its way (or was committed after the sweep looked).
   */
  private newBodies: Set<string> | undefined;

  /**
   * Creates <root>/bodies (mode 0700) if missing and fsyncs the parents of what it created,
   * so the directory itself survives a crash; a failure here is fatal at start.
   */
  constructor(root: string, opts: SpoolOptions = {}) {
    this.root = root;
    this.bodiesDir = join(root, BODIES_DIR);
    this.quarantineDir = join(root, QUARANTINE_DIR);
    try {
      const first = mkdirSync(this.bodiesDir, { recursive: true, mode: 0o700 });
      if (first !== undefined) {
        // every directory from the parent of the first one created down to <root>
        const created = relative(dirname(first), this.bodiesDir).split(sep);
        let dir = dirname(first);
        for (const part of created) {
          fsyncDirSync(dir);
          dir = join(dir, part);
        }
      }
    } catch (err) {
      throw new SpoolIoError('mkdir', this.bodiesDir, err);
    }
    this.dirSync = new DirSync(this.bodiesDir, opts.fsyncDir);
    this.inline = opts.inline && opts.inline.threshold > 0 ? opts.inline : undefined;
  }

  /** Largest body store() keeps inline (0: every body is a file). */
  get inlineThreshold(): number {
    return this.inline?.threshold ?? 0;
  }

  /** Directory fsyncs performed so far (fewer than stores when they run concurrently). */
  get dirSyncCount(): number {
    return this.dirSync.syncCount;
  }

  /**
   * Streams `body` to bodies/<id>; resolves once file and directory entry are durable. With an
   * inline store, a body that ends within its threshold resolves with its bytes (`inline`)
   * instead and nothing is written; a longer one goes on streaming into its file.
   */
  async store(id: string, body: BodySource, opts: StoreOptions = {}): Promise<StoredBody> {
    if (!this.inline || opts.inline === false) return this.storeFile(id, body, opts);
    const threshold = this.inline.threshold;
    const ref = inlineRefForId(id);
    if (body instanceof Readable) {
      const limit = Math.min(threshold, opts.maxSize ?? Infinity);
      const read = await collect(body, limit);
      if (!read.ended && opts.maxSize !== undefined && read.size > opts.maxSize) {
        body.destroy();
        throw new BodyTooLargeError(opts.maxSize);
      }
      if (!read.ended) return this.storeFile(id, resume(read.chunks, iterate(body)), opts);
      return inlineStored(ref, read.chunks, read.size);
    }
    const iterator = iterate(body);
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      const buf = toBuffer(next.value);
      chunks.push(buf);
      size += buf.length;
      if (opts.maxSize !== undefined && size > opts.maxSize) {
        await iterator.return?.();
        throw new BodyTooLargeError(opts.maxSize);
      }
      if (size > threshold) return this.storeFile(id, resume(chunks, iterator), opts);
    }
    return inlineStored(ref, chunks, size);
  }

  /**
   * An inline body (store()'s `inline` bytes) is now committed with its message: the store may
   * keep the bytes for the first reads (RecentInlineBodies) instead of reading its row back.
   */
  committedInline(id: string, bytes: Buffer): void {
    this.inline?.remember?.(id, bytes);
  }

  private async storeFile(id: string, body: BodySource, opts: StoreOptions): Promise<StoredBody> {
    const ref = refForId(id);
    const path = join(this.bodiesDir, id);
    const maxSize = opts.maxSize;
    // Marked before the file exists: a sweep listing bodies/ meanwhile must never take it.
    this.newBodies?.add(id);
    this.storing.add(id);
    let fh: FileHandle;
    try {
      fh = await open(path, 'wx', 0o600);
    } catch (err) {
      this.storing.delete(id);
      if (errno(err) === 'EEXIST') throw new BodyExistsError(id, err);
      throw new SpoolIoError('create', ref, err);
    }
    const hash = createHash('sha256');
    const header = new HeaderBlockCapture();
    let headerDone = false;
    let size = 0;
    // The envelope rides in the first write: not part of the body's size or digest.
    const encoded = opts.envelope ? encodeEnvelope(opts.envelope) : undefined;
    let pending: Buffer[] = encoded ? [encoded.prefix] : [];
    let pendingBytes = encoded?.prefix.length ?? 0;
    let closed = false;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const buf = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await io('write', ref, () => writeAll(fh, buf));
    };
    try {
      for await (const chunk of body as AsyncIterable<Buffer | Uint8Array | string>) {
        const buf = toBuffer(chunk);
        size += buf.length;
        if (maxSize !== undefined && size > maxSize) throw new BodyTooLargeError(maxSize);
        hash.update(buf);
        if (!headerDone) headerDone = header.push(buf);
        pending.push(buf);
        pendingBytes += buf.length;
        if (pendingBytes >= WRITE_BATCH) await flush();
      }
      await flush();
      // The envelope's size field says the body is complete (same fsync, no extra one).
      if (encoded) await io('write', ref, () => fh.write(sizeField(size), 0, undefined, encoded.sizeOffset));
      await io('fsync', ref, () => fh.sync());
      closed = true;
      await io('close', ref, () => fh.close());
      await io('fsync', BODIES_DIR, () => this.dirSync.sync());
      return { ref, size, sha256: hash.digest('hex'), headerBlock: header.block };
    } catch (err) {
      if (!closed) await fh.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw err;
    } finally {
      this.storing.delete(id);
    }
  }

  /** The body as a byte stream, `prepend` first; errors arrive on the stream. */
  open(ref: string, opts: OpenBodyOptions = {}): Readable {
    if (isInlineRef(ref)) return openInlineBody(this.inline ?? NO_INLINE_STORE, ref, opts);
    return openBody(join(this.bodiesDir, idForRef(ref)), ref, opts);
  }

  /** Deletes a body; false if it was already gone. Not fsynced: a resurrected file is an orphan. */
  async remove(ref: string): Promise<boolean> {
    if (isInlineRef(ref)) {
      const id = idForInlineRef(ref);
      try {
        return this.requireInline(ref).remove(id);
      } catch (err) {
        throw new SpoolIoError('delete', ref, err);
      }
    }
    const path = join(this.bodiesDir, idForRef(ref));
    try {
      await unlink(path);
      return true;
    } catch (err) {
      if (errno(err) === 'ENOENT') return false;
      throw new SpoolIoError('unlink', ref, err);
    }
  }

  async exists(ref: string): Promise<boolean> {
    if (isInlineRef(ref)) {
      try {
        readInline(this.requireInline(ref), ref);
        return true;
      } catch (err) {
        if (err instanceof BodyMissingError) return false;
        throw err;
      }
    }
    const path = join(this.bodiesDir, idForRef(ref));
    try {
      return (await stat(path)).isFile();
    } catch (err) {
      if (errno(err) === 'ENOENT') return false;
      throw new SpoolIoError('stat', ref, err);
    }
  }

  /** Ids of the bodies on disk, sorted; names that are not valid ids are ignored. */
  async list(): Promise<string[]> {
    const names = await io('readdir', BODIES_DIR, () => readdir(this.bodiesDir));
    return names.filter(isValidBodyId).sort();
  }

  /** Is there any body in bodies/? Reads names only until the first body (cheap on a full spool). */
  async hasBodies(): Promise<boolean> {
    const dir = await io('opendir', BODIES_DIR, () => opendir(this.bodiesDir));
    try {
      for (let entry = await dir.read(); entry !== null; entry = await dir.read())
        if (isValidBodyId(entry.name)) return true;
      return false;
    } finally {
      await dir.close().catch(() => undefined);
    }
  }

  /**
   * Until the next sweep ends, remember every body stored or unquarantined from now on: the
   * sweep never moves them. Arm it before the edge accepts mail when the sweep runs after.
   */
  guardNewBodies(): void {
    this.newBodies ??= new Set();
  }

  /**
   * The start-up sweep: moves every body `isReferenced(id)` answers false for (a store that
   * crashed before its event was appended, or a log that lost events) to quarantine/, with
   * its envelope, and returns the moved ids, sorted. Nothing is unlinked. Bodies being stored
   * by this Spool, and those stored or unquarantined since guardNewBodies(), are skipped, so
   * it may run while the queue accepts mail; it yields to the event loop every `batch` bodies
   * and ends early (keeping what it moved) once `stop()` says so. An error of `isReferenced`
   * ends it too, and is thrown: a body it could not decide on stays where it is.
   */
  async quarantineUnknown(
    isReferenced: (id: string) => boolean | Promise<boolean>,
    options: { readonly batch?: number; readonly stop?: () => boolean } = {},
  ): Promise<string[]> {
    const moved: string[] = [];
    const batch = options.batch ?? 1000;
    try {
      const names = await io('readdir', BODIES_DIR, () => readdir(this.bodiesDir));
      for (let i = 0; i < names.length; i++) {
        if (i > 0 && i % batch === 0) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (options.stop?.()) break;
        }
        const id = names[i]!;
        if (!isValidBodyId(id) || this.storing.has(id) || this.newBodies?.has(id)) continue;
        if (await isReferenced(id)) continue;
        // Looked up again after the await: a store or unquarantine of this id may have begun meanwhile.
        if (this.storing.has(id) || this.newBodies?.has(id)) continue;
        moved.push(await this.quarantine(id));
      }
    } finally {
      this.newBodies = undefined;
      if (moved.length > 0) {
        await io('fsync', QUARANTINE_DIR, async () => fsyncDirSync(this.quarantineDir));
        await io('fsync', BODIES_DIR, () => this.dirSync.sync());
      }
    }
    return moved.sort();
  }

  /** Moves bodies/<id> to quarantine/<id> (or <id>.<n>) and returns that name; the caller fsyncs the directories. */
  private async quarantine(id: string): Promise<string> {
    if (!existsSync(this.quarantineDir)) {
      try {
        mkdirSync(this.quarantineDir, { mode: 0o700 });
        fsyncDirSync(this.root);
      } catch (err) {
        throw new SpoolIoError('mkdir', QUARANTINE_DIR, err);
      }
    }
    // Never over an earlier quarantined body of the same name: that one is kept as well.
    let name = id;
    for (let n = 1; existsSync(join(this.quarantineDir, name)); n++) name = `${id}.${n}`;
    await io('rename', refForId(id), () => rename(join(this.bodiesDir, id), join(this.quarantineDir, name)));
    return name;
  }

  /** Is there a body file `id` in bodies/ or quarantine/? (false for a name that is not an id) */
  holds(id: string, where: 'bodies' | 'quarantine'): boolean {
    return isValidBodyId(id) && existsSync(join(where === 'bodies' ? this.bodiesDir : this.quarantineDir, id));
  }

  /** Ids of the quarantined bodies, sorted. */
  async listQuarantined(): Promise<string[]> {
    if (!existsSync(this.quarantineDir)) return [];
    const names = await io('readdir', QUARANTINE_DIR, () => readdir(this.quarantineDir));
    return names.filter(isValidBodyId).sort();
  }

  /**
   * Moves quarantine/<id> back to bodies/<id> and makes the move durable, so a MessageReceived
   * appended afterwards never names a body that a crash could put back in quarantine.
   */
  async unquarantine(id: string): Promise<string> {
    const ref = refForId(id);
    const from = join(this.quarantineDir, id);
    const to = join(this.bodiesDir, id);
    if (existsSync(to)) throw new BodyExistsError(id);
    this.newBodies?.add(id);
    try {
      await rename(from, to);
    } catch (err) {
      if (errno(err) === 'ENOENT') throw new BodyMissingError(`${QUARANTINE_DIR}/${id}`);
      throw new SpoolIoError('rename', `${QUARANTINE_DIR}/${id}`, err);
    }
    await io('fsync', BODIES_DIR, () => this.dirSync.sync());
    await io('fsync', QUARANTINE_DIR, async () => fsyncDirSync(this.quarantineDir));
    return ref;
  }

  /** The envelope stored with a body (bodies/ or quarantine/), or undefined for a file without one. */
  async envelopeOf(id: string, where: 'bodies' | 'quarantine' = 'bodies'): Promise<SpooledEnvelope | undefined> {
    return (await this.prefixOf(id, where)).envelope;
  }

  /** The stored envelope and whether the body after it is complete (see spooledEnvelope.ts). */
  async prefixOf(id: string, where: 'bodies' | 'quarantine' = 'bodies'): Promise<EnvelopePrefix> {
    const path = join(where === 'bodies' ? this.bodiesDir : this.quarantineDir, assertBodyId(id));
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if (errno(err) === 'ENOENT') throw new BodyMissingError(`${where}/${id}`);
      throw new SpoolIoError('open', `${where}/${id}`, err);
    }
    try {
      return await io('read', `${where}/${id}`, () => readEnvelopePrefix(fh, true));
    } finally {
      await fh.close();
    }
  }

  /** Recomputes a body's sha256 and compares it with the expected one (CLI, recovery). */
  async verify(ref: string, sha256: string): Promise<VerifyResult> {
    if (isInlineRef(ref)) {
      const bytes = readInline(this.requireInline(ref), ref);
      const actual = createHash('sha256').update(bytes).digest('hex');
      return { ok: actual === sha256.toLowerCase(), sha256: actual, size: bytes.length };
    }
    const path = join(this.bodiesDir, idForRef(ref));
    const hash = createHash('sha256');
    let size = 0;
    try {
      const fh = await open(path, 'r');
      const { bodyOffset } = await readEnvelopePrefix(fh).catch(async (err: unknown) => {
        await fh.close();
        throw err;
      });
      for await (const chunk of fh.createReadStream({ highWaterMark: 256 * 1024, start: bodyOffset })) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (err) {
      if (errno(err) === 'ENOENT') throw new BodyMissingError(ref);
      throw new SpoolIoError('read', ref, err);
    }
    const actual = hash.digest('hex');
    return { ok: actual === sha256.toLowerCase(), sha256: actual, size };
  }

  /** The absolute path of a stored body file (an inline ref has none: InvalidBodyIdError). */
  pathOf(ref: string): string {
    return join(this.bodiesDir, idForRef(ref));
  }

  /** The store of inline bodies; a ref "inline/…" without one is a body this spool cannot reach. */
  private requireInline(ref: string): InlineBodyStore {
    if (!this.inline)
      throw new BodyMissingError(`${ref} (no inline body store: the spool was opened without the event log's)`);
    return this.inline;
  }
}
