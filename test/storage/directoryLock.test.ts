/**
 * The directory lock under SqliteStorage (the library's storage) and the daemon: a second
 * taker fails at once with DirectoryLockedError naming the holder's pid — in this process or
 * another — the lock goes with close() or with the holder's death (SIGKILL), and a read-only
 * reader of the event log is never stopped by it. On a full file system (a small tmpfs, mounted
 * as root as CI runs) the error says so and what to do.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage } from '../../src/storage/sqliteStorage.js';
import { DirectoryLock, DirectoryLockError, DirectoryLockedError } from '../../src/storage/directoryLock.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { tsxLoader } from '../support/daemonProcess.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mailtrail-lock-'));
  dirs.push(d);
  return d;
};

describe('the directory lock', () => {
  it('refuses a second storage on the same directory, naming this pid, until the first is closed', async () => {
    const dir = tempDir();
    const first = new SqliteStorage(dir);
    assert.equal(statSync(join(dir, 'mailtrail.lock')).mode & 0o777, 0o600, 'the lock file is owner-only');
    assert.throws(
      () => new SqliteStorage(dir),
      (err: unknown) =>
        err instanceof DirectoryLockedError &&
        err.pid === process.pid &&
        err.message.includes(`locked by process ${process.pid}`),
    );
    // A read-only reader of the log (the CLI) is not stopped by the lock.
    const reader = new SqliteEventLog(join(dir, 'events.sqlite'), { readonly: true });
    await reader.close();
    await first.close();
    const again = new SqliteStorage(dir);
    await again.close();
  });

  it('is held by another process until it dies, even by SIGKILL', async () => {
    const dir = tempDir();
    const holder = spawn(
      process.execPath,
      [
        '--import',
        tsxLoader,
        '--input-type=module',
        '-e',
        `
      const { DirectoryLock } = await import(${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'storage', 'directoryLock.ts'))});
      DirectoryLock.acquire(${JSON.stringify(dir)});
      process.stdout.write('held\\n');
      setInterval(() => {}, 1000);
    `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('held')) resolve();
      });
      holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
    });
    assert.throws(
      () => DirectoryLock.acquire(dir),
      (err: unknown) => err instanceof DirectoryLockedError && err.pid === holder.pid,
    );
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const lock = DirectoryLock.acquire(dir);
    lock.release();
  });

  it('on a full file system says so, with what to do, instead of "database or disk is full"', () => {
    const dir = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    try {
      // Fill it: the lock's first transaction then has no room for its journal.
      try {
        writeFileSync(join(dir, 'filler'), Buffer.alloc(128 * 1024));
      } catch {
        // ENOSPC once it is full: what the test wants
      }
      assert.throws(
        () => DirectoryLock.acquire(dir),
        (err: unknown) =>
          err instanceof DirectoryLockError &&
          err.message ===
            `cannot lock ${join(dir, 'mailtrail.lock')}: the file system is full: free some space there, then start again`,
      );
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});
