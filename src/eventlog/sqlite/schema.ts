/**
 * The SQLite event-log schema and connection settings.
 * Writers: WAL, synchronous=FULL (each commit fsyncs the WAL), tables created if absent.
 * Readers: only check that a writer has initialised the file (user_version).
 * `events` holds every event under a global AUTOINCREMENT position; `streams` holds each
 * stream's last revision (checked under the write lock) and its last append time; `bodies`
 * the spool's inline bodies, written in the same transaction as the event that names them.
 */
import type Database from 'better-sqlite3';

export const SCHEMA_VERSION = 1n;

const DDL = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY AUTOINCREMENT,
  stream      TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,
  recorded_at TEXT    NOT NULL,
  UNIQUE (stream, revision)
);
CREATE TABLE IF NOT EXISTS streams (
  stream     TEXT    PRIMARY KEY,
  revision   INTEGER NOT NULL,
  updated_at TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS streams_updated_at ON streams (updated_at);
CREATE TABLE IF NOT EXISTS bodies (
  id   TEXT PRIMARY KEY,
  data BLOB NOT NULL
);
`;

/** Settings and tables for the writing connection. */
export function prepareWriter(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Each append runs in its own SAVEPOINT (groupCommit.ts), so SQLite keeps a statement journal
  // of every page a batch touches; past 64 KiB it spills to a temporary file (a write of 4 bytes
  // and one of 4 KiB per page, plus open/unlink per transaction). In memory it costs no system
  // call; it only ever holds the open transaction's pages, and durability is the WAL's alone.
  db.pragma('temp_store = MEMORY');
  db.defaultSafeIntegers(true);
  db.transaction(() => {
    db.exec(DDL);
    const version = db.pragma('user_version', { simple: true }) as bigint;
    if (version > SCHEMA_VERSION)
      throw new Error(`schema version ${version} is newer than this program's (${SCHEMA_VERSION})`);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/** Settings for a readonly connection; returns why the file is unusable, or undefined. */
export function prepareReader(db: Database.Database): string | undefined {
  db.defaultSafeIntegers(true);
  const version = db.pragma('user_version', { simple: true }) as bigint;
  if (version === 0n) return 'no writer has initialised it yet';
  if (version > SCHEMA_VERSION) return `schema version ${version} is newer than this program's (${SCHEMA_VERSION})`;
  return undefined;
}
