/**
 * The Maildir relay: writes each recipient's copy into <root>/<domain>/<local>/new, the
 * way cr.yp.to/proto/maildir.html and Postfix's local/maildir.c do: create tmp/<name>
 * exclusively, write `Return-Path:` + `Delivered-To:` + the content with LF line endings,
 * fsync, link() into new/ (never rename over a file: EEXIST takes a new name), fsync new/
 * (one fsync shared by the deliveries linked meanwhile: directorySync.ts), unlink the tmp file. Directories are made 0700 on demand below the root, never the root.
 * Results: 2.0.0 delivered; unsafe address 5.1.3; errno per errnoStatus.ts; a content
 * read error 4.3.0. One result per recipient, in order; it does not throw for those.
 */
import { constants } from 'node:fs';
import { link, mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DirectorySync } from './directorySync.js';
import { errnoCode, errnoStatus } from './errnoStatus.js';
import { maildirFileName, systemMaildirTime, type MaildirTime } from './maildirName.js';
import { maildirFor } from './maildirPath.js';
import type { DeliveryRequest, RecipientResult, Relay } from './relay.js';

export interface MaildirRelayOptions {
  /** The mail root; it must exist (an unmounted root defers rather than being re-made). */
  readonly root: string;
  /** This host's name, for the unique file names. */
  readonly hostname: string;
  /** The clock for file names (tests fix it); the system clock by default. */
  readonly clock?: () => MaildirTime;
}

/** How many names to try before giving up on a clash in tmp/ or new/. */
const NAME_ATTEMPTS = 16;

/** A failed step: what was being done, and the error it raised. */
class StepError extends Error {
  constructor(
    readonly step: string,
    readonly error: unknown,
    readonly readError = false,
  ) {
    super(step);
  }
}

export class MaildirRelay implements Relay {
  readonly name = 'maildir';
  readonly #root: string;
  readonly #hostname: string;
  readonly #clock: () => MaildirTime;
  #counter = 0;
  /** Concurrent deliveries into one new/ share its fsync. */
  readonly #directories = new DirectorySync();

  constructor(options: MaildirRelayOptions) {
    this.#root = path.resolve(options.root);
    this.#hostname = options.hostname;
    this.#clock = options.clock ?? systemMaildirTime;
  }

  async deliver(request: DeliveryRequest): Promise<RecipientResult[]> {
    const results: RecipientResult[] = [];
    for (const recipient of request.recipients) results.push(await this.#deliverOne(request, recipient));
    return results;
  }

  async #deliverOne(request: DeliveryRequest, recipient: string): Promise<RecipientResult> {
    const sender = request.message.envelope.sender;
    if (/\p{Cc}/u.test(sender)) {
      return { recipient, outcome: 'permanent', status: '5.1.7', reply: 'sender address contains a control character' };
    }
    const target = maildirFor(this.#root, recipient);
    if (!target.ok) return { recipient, outcome: 'permanent', status: '5.1.3', reply: target.reason };
    const header = `Return-Path: <${sender}>\nDelivered-To: ${recipient}\n`;
    try {
      await this.#write(target.dir, header, () => request.openContent({ lineEndings: 'lf' }));
      return { recipient, outcome: 'delivered', status: '2.0.0', reply: 'delivered to maildir' };
    } catch (err) {
      if (!(err instanceof StepError)) throw err;
      const where = `${target.domain}/${target.local}`;
      if (err.readError) {
        return {
          recipient,
          outcome: 'transient',
          status: '4.3.0',
          reply: `maildir delivery failed: error reading message: ${describe(err.error)}`,
        };
      }
      const { outcome, status } = errnoStatus(err.error);
      return {
        recipient,
        outcome,
        status,
        reply: `maildir delivery failed: ${err.step} in ${where}: ${describe(err.error)}`,
      };
    }
  }

  /** The delivery protocol for one maildir; throws StepError. */
  async #write(dir: string, header: string, openContent: () => NodeJS.ReadableStream): Promise<void> {
    const { file, tmpPath } = await this.#createTmp(dir);
    let closed = false;
    try {
      await copy(Buffer.from(header, 'utf8'), openContent(), file);
      await step('fsync maildir file', () => file.sync());
      closed = true;
      await step('close maildir file', () => file.close());
      await this.#linkIntoNew(dir, tmpPath);
      await step('fsync maildir new directory', () => this.#directories.sync(path.join(dir, 'new')));
    } finally {
      if (!closed) await file.close().catch(() => undefined);
      // Delivered or not, the tmp file goes; a leftover would be swept after 36 hours anyway.
      await unlink(tmpPath).catch(() => undefined);
    }
  }

  async #createTmp(dir: string): Promise<{ file: FileHandle; tmpPath: string }> {
    let madeDirs = false;
    for (let attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
      const tmpPath = path.join(dir, 'tmp', this.#nextName());
      try {
        const file = await open(
          tmpPath,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          0o600,
        );
        return { file, tmpPath };
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'EEXIST') continue;
        if (code === 'ENOENT' && !madeDirs) {
          madeDirs = true;
          await step('create maildir directories', () => this.#makeMaildir(dir));
          continue;
        }
        throw new StepError('create maildir file', err);
      }
    }
    throw new StepError('create maildir file', Object.assign(new Error('no unique name'), { code: 'EEXIST' }));
  }

  /** Links tmp/<name> to new/<name>, or to new/<next name> while new/ already has one. */
  async #linkIntoNew(dir: string, tmpPath: string): Promise<void> {
    let madeDirs = false;
    let name = path.basename(tmpPath);
    for (let attempt = 0; attempt < NAME_ATTEMPTS; attempt++, name = this.#nextName()) {
      const newPath = path.join(dir, 'new', name);
      try {
        await link(tmpPath, newPath);
        return;
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'EEXIST') continue;
        if (code === 'ENOENT' && !madeDirs) {
          madeDirs = true;
          await step('create maildir directories', () => this.#makeMaildir(dir));
          continue;
        }
        throw new StepError('link maildir file into new', err);
      }
    }
    throw new StepError('link maildir file into new', Object.assign(new Error('no unique name'), { code: 'EEXIST' }));
  }

  /** Makes <domain>/<local>/{tmp,new,cur} at 0700, one level at a time, never the root. */
  async #makeMaildir(dir: string): Promise<void> {
    const rel = path.relative(this.#root, dir).split(path.sep);
    let at = this.#root;
    for (const part of rel) {
      at = path.join(at, part);
      await mkdirOnce(at);
    }
    for (const sub of ['tmp', 'new', 'cur']) await mkdirOnce(path.join(dir, sub));
  }

  #nextName(): string {
    this.#counter += 1;
    return maildirFileName(this.#clock(), process.pid, this.#counter, this.#hostname);
  }
}

async function mkdirOnce(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
  }
}

async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw err instanceof StepError ? err : new StepError(name, err);
  }
}

/** Content gathered before a write: most messages go into the file with one write(2). */
const GATHER_BYTES = 256 * 1024;

/**
 * Writes `head` and then the content into the file, telling read errors from write errors.
 * Chunks are gathered up to GATHER_BYTES per write, so a small message costs one system call.
 */
async function copy(head: Buffer, content: NodeJS.ReadableStream, file: FileHandle): Promise<void> {
  const chunks = content[Symbol.asyncIterator]();
  let gathered: Buffer[] = [head];
  let size = head.length;
  const writeGathered = async () => {
    const data = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, size);
    gathered = [];
    size = 0;
    await step('write maildir file', () => writeAll(file, data));
  };
  let done = false;
  try {
    for (;;) {
      let next: IteratorResult<string | Buffer>;
      try {
        next = await chunks.next();
      } catch (err) {
        done = true;
        throw new StepError('read message', err, true);
      }
      if (next.done) {
        done = true;
        if (size > 0) await writeGathered();
        return;
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
      gathered.push(chunk);
      size += chunk.length;
      if (size >= GATHER_BYTES) await writeGathered();
    }
  } finally {
    if (!done) await chunks.return?.().catch(() => undefined);
  }
}

/** Writes all of `data`: a write(2) may be short, the rest then follows (or fails). */
async function writeAll(file: FileHandle, data: string | Buffer): Promise<void> {
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let offset = 0; offset < buffer.length; ) {
    const { bytesWritten } = await file.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}

/** An error as text for a reply, without the absolute paths Node puts in its messages. */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/, \w+ '.*'$/s, '').replace(/[\r\n]+/g, ' ');
}
