/**
 * Damages a SQLite database file on purpose, as a bad disk or a careless copy would: the
 * WAL is checkpointed into the file first (so the page on disk is the current one), then the
 * root page of one table or index is overwritten with bytes that are no b-tree page. Only
 * that object's pages are affected: reads and writes elsewhere go on working.
 */
import { openSync, closeSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

export function damageRootPage(dbPath: string, objectName: string): void {
  const db = new Database(dbPath);
  let rootpage: number;
  let pageSize: number;
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const row = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(objectName) as
      | { rootpage: number }
      | undefined;
    if (!row) throw new Error(`${dbPath} has no table or index ${objectName}`);
    rootpage = row.rootpage;
    pageSize = db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
  const fd = openSync(dbPath, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0x41), 0, pageSize, (rootpage - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}
