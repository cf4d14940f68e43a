/**
 * What an embedded storage's process must own and write, for a start as root that drops to a
 * mail user (dropPrivileges' `handOver` and `writable`): the lock file, the sqlite log with its
 * `-wal`/`-shm`/`-journal`, the spool tree (walked with lstat: a symlink is handed over itself,
 * never followed) and the data directory itself when it is ours — made by us, empty before us,
 * or holding nothing but our own entries. A directory that holds anything else is never chowned;
 * the check after the drop then names it, its owner and its mode.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LOCK_FILE } from './directoryLock.js';

export interface OwnedFiles {
  /** Given to the mail user before the drop (when running as root). */
  readonly handOver: readonly string[];
  /** Checked writable by the mail user after the drop; a failure refuses the start. */
  readonly writable: readonly string[];
}

const LOG_SUFFIXES = ['', '-wal', '-shm', '-journal'];

/** The sqlite log and its companion files, those that exist. */
export function logFiles(logPath: string): string[] {
  return LOG_SUFFIXES.map((s) => `${logPath}${s}`).filter((p) => existsSync(p));
}

/** The names a storage keeps directly in its directory. */
export function ownNames(dir: string, logPath: string | undefined, extra: readonly string[] = []): string[] {
  const names = [LOCK_FILE, 'spool', ...extra];
  if (logPath && resolve(dirname(logPath)) === resolve(dir))
    names.push(...LOG_SUFFIXES.map((s) => `${basename(logPath)}${s}`));
  return names;
}

/** True when `dir` is missing, empty, or holds only `names` (decided before anything is made in it). */
export function isOwnDirectory(dir: string, names: readonly string[]): boolean {
  if (!existsSync(dir)) return true;
  try {
    return readdirSync(dir).every((n) => names.includes(n));
  } catch {
    return false;
  }
}

/**
 * `root` and everything below it, directories listed before their content; symlinks not
 * followed. Entry types come from readdir (no lstat per body file; one for an unknown type).
 */
function walk(root: string, dirs: string[], files: string[]): void {
  let st;
  try {
    st = lstatSync(root);
  } catch {
    return;
  }
  if (!st.isDirectory()) {
    files.push(root);
    return;
  }
  below(root, dirs, files);
}

function below(dir: string, dirs: string[], files: string[]): void {
  dirs.push(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Not join(): 100,000 body names would cost it most of a second (`dir` is already normal).
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) below(path, dirs, files);
    else if (entry.isFile() || entry.isSymbolicLink()) files.push(path);
    else walk(path, dirs, files);
  }
}

export function storageFiles(o: {
  dir: string;
  dirIsOurs: boolean;
  logPath?: string;
  spoolRoot: string;
  extra?: readonly string[];
}): OwnedFiles {
  const dirs: string[] = [];
  const files: string[] = [];
  walk(o.spoolRoot, dirs, files);
  const log = o.logPath ? logFiles(o.logPath) : [];
  const extra = (o.extra ?? []).map((n) => join(o.dir, n)).filter((p) => existsSync(p));
  const lock = [
    join(o.dir, LOCK_FILE),
    ...(o.logPath && resolve(dirname(o.logPath)) !== resolve(o.dir) ? [join(dirname(o.logPath), LOCK_FILE)] : []),
  ].filter((p) => existsSync(p));
  return {
    handOver: [...(o.dirIsOurs ? [o.dir] : []), ...lock, ...log, ...extra, ...dirs, ...files],
    writable: [o.dir, ...log, ...dirs],
  };
}
