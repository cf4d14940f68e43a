/**
 * One writer per directory, as Postfix's master locks its pid file: `<dir>/mailtrail.lock`
 * is a small SQLite database whose write lock (`BEGIN IMMEDIATE`, an fcntl byte-range lock)
 * the holder keeps until it closes or dies — the kernel drops it on kill -9, so a stale lock
 * never blocks a restart. It records the holder's pid; a second taker fails at once
 * (busy timeout 0) with DirectoryLockedError naming that pid. Readers of the event log never
 * touch this file, so the CLI keeps reading `events.sqlite` beside a running daemon.
 */
import Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MailtrailError } from '../errors/mailtrailError.js';
import { diskFull } from '../eventlog/sqlite/sqliteErrors.js';

export const LOCK_FILE = 'mailtrail.lock';

/** Another process holds the directory's lock: a second daemon (or queue) on the same data. */
export class DirectoryLockedError extends MailtrailError {
  readonly path: string;
  readonly pid: number | undefined;
  constructor(path: string, pid?: number) {
    const holder = pid ? `process ${pid}` : 'another process';
    super(
      'ERR_DIRECTORY_LOCKED',
      `${path} is locked by ${holder}: another mailtrail daemon uses this directory; stop it first, or give this one its own dataDir`,
    );
    this.path = path;
    this.pid = pid;
  }
}

/** The lock file could not be created or opened (permissions, read-only disk). */
export class DirectoryLockError extends MailtrailError {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    const detail = diskFull(cause)
      ? 'the file system is full: free some space there, then start again'
      : cause instanceof Error
        ? cause.message
        : String(cause);
    super('ERR_DIRECTORY_LOCK', `cannot lock ${path}: ${detail}`, { cause });
    this.path = path;
  }
}

const isBusy = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
};

export class DirectoryLock {
  private constructor(
    readonly path: string,
    private db: Database.Database | undefined,
  ) {}

  /** Takes `<dir>/mailtrail.lock` (created if missing) or throws DirectoryLockedError at once. */
  static acquire(dir: string): DirectoryLock {
    const path = join(dir, LOCK_FILE);
    let db: Database.Database;
    try {
      // Owner-only, like the log beside it (it names the holder's pid, nothing more).
      closeSync(openSync(path, 'a', 0o600));
      db = new Database(path, { timeout: 0 });
    } catch (cause) {
      throw new DirectoryLockError(path, cause);
    }
    try {
      // Record our pid, then hold the write lock: a taker that slips in between the two
      // steps makes our second BEGIN fail, so exactly one of two racing processes wins.
      db.exec('BEGIN IMMEDIATE');
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
      db.prepare('DELETE FROM holder').run();
      db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
      db.exec('COMMIT');
      db.exec('BEGIN IMMEDIATE');
    } catch (cause) {
      if (db.inTransaction) db.exec('ROLLBACK');
      const pid = isBusy(cause) ? holderOf(db) : undefined;
      db.close();
      if (isBusy(cause)) throw new DirectoryLockedError(path, pid);
      throw new DirectoryLockError(path, cause);
    }
    return new DirectoryLock(path, db);
  }

  /** Lets the lock go (idempotent); the file stays, holding the last holder's pid. */
  release(): void {
    const db = this.db;
    this.db = undefined;
    if (!db) return;
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
  }
}

/** The pid the holder recorded, read under the holder's write lock (readers may still read). */
function holderOf(db: Database.Database): number | undefined {
  try {
    const row = db.prepare('SELECT pid FROM holder LIMIT 1').get() as { pid: number } | undefined;
    return row?.pid;
  } catch {
    return undefined;
  }
}

/**
 * Locks each distinct directory (the data directory, and the event log's when it lies
 * elsewhere), all or none: on a failure the locks already taken are released.
 */
export function lockDirectories(dirs: readonly string[]): DirectoryLock[] {
  const taken: DirectoryLock[] = [];
  try {
    for (const dir of new Set(dirs.map((d) => resolve(d)))) taken.push(DirectoryLock.acquire(dir));
  } catch (err) {
    for (const lock of taken) lock.release();
    throw err;
  }
  return taken;
}
