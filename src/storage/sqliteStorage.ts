/**
 * The embedded storage of a queue, in one directory (the tutorial's `DictStorage` on
 * `shelve`, made durable): `<dir>/events.sqlite` (the event log, with the messages
 * projection that start-up reads) and `<dir>/spool/` (message bodies). `new
 * SqliteStorage('./var')` is all a library user needs for `new Queue(storage, relay)`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { inlineProjections } from '../queue/inlineProjections.js';
import { recoverySourceFrom } from '../queue/messagesProjection.js';
import type { QueueStorage, RecoverySource } from '../queue/queue.js';
import { Spool } from '../spool/spool.js';

export class SqliteStorage implements QueueStorage {
  readonly log: SqliteEventLog;
  readonly spool: Spool;
  readonly recovery: RecoverySource;

  constructor(readonly dir: string, options: { logPath?: string } = {}) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.log = new SqliteEventLog(options.logPath ?? join(dir, 'events.sqlite'), { projections: [...inlineProjections] });
    this.spool = new Spool(join(dir, 'spool'));
    this.recovery = recoverySourceFrom(this.log.database);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
