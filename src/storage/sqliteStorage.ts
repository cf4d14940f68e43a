/**
 * The embedded storage of a queue, in one directory (the tutorial's `DictStorage` on
 * `shelve`, made durable): `<dir>/events.sqlite` (the event log, with the messages
 * projection that start-up reads) and `<dir>/spool/` (message bodies). `new
 * SqliteStorage('./var')` is all a library user needs for `new Queue(storage, relay)`.
 * The directory (and the log's, if elsewhere) is locked first (`<dir>/mailtrail.lock`): a second storage on it, in this
 * process or another, fails at once with DirectoryLockedError naming the holder's pid.
 * `files()` lists what a process started as root hands to its mail user (dropPrivileges).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { inlineProjections } from '../readmodel/inlineProjections.js';
import { recoverySourceFrom } from '../readmodel/messagesProjection.js';
import type { QueueStorage, RecoverySource } from '../queue/queue.js';
import { Spool } from '../spool/spool.js';
import { lockDirectories, type DirectoryLock } from './directoryLock.js';
import { isOwnDirectory, ownNames, storageFiles, type OwnedFiles } from './storageFiles.js';

export class SqliteStorage implements QueueStorage {
  readonly log: SqliteEventLog;
  readonly spool: Spool;
  readonly recovery: RecoverySource;
  private readonly logPath: string;
  private readonly dirIsOurs: boolean;
  private readonly locks: DirectoryLock[];

  constructor(
    readonly dir: string,
    options: { logPath?: string } = {},
  ) {
    this.logPath = options.logPath ?? join(dir, 'events.sqlite');
    this.dirIsOurs = isOwnDirectory(dir, ownNames(dir, this.logPath));
    mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.locks = lockDirectories([dir, dirname(this.logPath)]);
    try {
      this.log = new SqliteEventLog(this.logPath, { projections: [...inlineProjections] });
      this.spool = new Spool(join(dir, 'spool'));
      this.recovery = recoverySourceFrom(this.log.database);
    } catch (err) {
      this.releaseLocks();
      throw err;
    }
  }

  /** What to hand to the mail user before a privilege drop, and to check writable after it. */
  files(): OwnedFiles {
    return storageFiles({
      dir: this.dir,
      dirIsOurs: this.dirIsOurs,
      logPath: this.logPath,
      spoolRoot: this.spool.root,
    });
  }

  async close(): Promise<void> {
    try {
      await this.log.close();
    } finally {
      this.releaseLocks();
    }
  }

  private releaseLocks(): void {
    for (const lock of this.locks.splice(0)) lock.release();
  }
}
