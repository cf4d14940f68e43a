/**
 * Privilege drop, as the tutorial's `drop_privileges(user, group)`: after the listening
 * sockets are bound (port 25 needs root), hand the files made as root to the mail user
 * (`handOver`, lchown: a symlink is never followed), switch group then user, refuse to go on
 * if the switch did not take, then check that the user can write what it must (`writable`):
 * NotWritableError names the path, its owner and mode. Names are resolved with `id` and
 * `getent` (argv, no shell).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, lchownSync, lstatSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, MailtrailError } from '../errors/mailtrailError.js';

export interface Identity {
  readonly uid: number;
  readonly gid: number;
}

/** What to hand over before the drop and to check after it (see src/storage/storageFiles.ts). */
export interface DropFiles {
  readonly handOver?: readonly string[];
  readonly writable?: readonly string[];
}

/** After the drop, the mail user cannot write a path the daemon must write. */
export class NotWritableError extends MailtrailError {
  readonly path: string;
  constructor(path: string, detail: string) {
    super('ERR_NOT_WRITABLE', `${path}: ${detail}`);
    this.path = path;
  }
}

const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

function lookup(kind: 'user' | 'group', name: string | number, resolve: () => string): number {
  if (typeof name === 'number' || /^\d+$/.test(name)) return Number(name);
  try {
    return Number(resolve());
  } catch {
    throw new ConfigError(kind, `no such ${kind}: ${name}`);
  }
}

/** The uid and gid to drop to; undefined when neither is given. ConfigError for an unknown name. */
export function resolveIdentity(user?: string | number, group?: string | number): Identity | undefined {
  if (user === undefined && group === undefined) return undefined;
  const uid = user === undefined ? process.getuid!() : lookup('user', user, () => run('id', ['-u', String(user)]));
  const gid =
    group !== undefined
      ? lookup('group', group, () => run('getent', ['group', String(group)]).split(':')[2] ?? '')
      : lookup('group', String(user), () => run('id', ['-g', String(user)]));
  return { uid, gid };
}

/**
 * Gives each existing path to `to` (as root only; others cannot chown): lchown, so a symlink is
 * changed itself; a non-directory with several links is skipped. Missing paths are skipped.
 */
export function handOver(paths: readonly string[], to: Identity): void {
  if (process.getuid?.() !== 0) return;
  for (const path of paths) {
    try {
      const st = lstatSync(path);
      // A file with other links may be another file's name too (/etc/shadow linked into the
      // spool by its user): never give it away.
      if (!st.isDirectory() && st.nlink > 1) continue;
      if (st.uid !== to.uid || st.gid !== to.gid) lchownSync(path, to.uid, to.gid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new NotWritableError(path, `cannot give it to uid ${to.uid}: ${(err as Error).message}`);
    }
  }
}

const nameOf = (uid: number): string => {
  try {
    return run('getent', ['passwd', String(uid)]).split(':')[0] || `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
};

/** As the current user: each existing path writable (directories also searchable), else NotWritableError. */
export function checkWritable(paths: readonly string[]): void {
  for (const path of paths) {
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      // A parent the user cannot search: name the first one.
      const blocking = ancestors(path).find((dir) => !canAccess(dir, constants.X_OK));
      if (blocking) refuse(blocking, 'search', path);
      throw new NotWritableError(path, (err as Error).message);
    }
    if (!canAccess(path, st.isDirectory() ? constants.W_OK | constants.X_OK : constants.W_OK)) refuse(path, 'write');
  }
}

const canAccess = (path: string, mode: number): boolean => {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
};

/** `/`, `/a`, `/a/b` … for `/a/b/c`. */
const ancestors = (path: string): string[] => {
  const out: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    out.unshift(dir);
    if (dir === dirname(dir)) return out;
  }
};

function refuse(path: string, what: 'write' | 'search', below?: string): never {
  const st = statSync(path);
  const me = process.getuid?.() ?? -1;
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  const fix =
    what === 'write'
      ? `give it to that user (chown ${me}:${process.getgid?.() ?? me} ${path})`
      : `let that user search it (chmod o+x ${path})`;
  throw new NotWritableError(
    path,
    `owned by ${nameOf(st.uid)} (uid ${st.uid}, gid ${st.gid}, mode ${mode}), not ${what === 'write' ? 'writable' : 'searchable'} by ${nameOf(me)} (uid ${me}), the user mailtrail runs as${below ? `, so ${below} cannot be reached` : ''}: ${fix}`,
  );
}

export function dropPrivileges(
  user?: string | number,
  group?: string | number,
  files: DropFiles = {},
): Identity | undefined {
  const to = resolveIdentity(user, group);
  if (!to) return undefined;
  if (typeof process.setuid !== 'function' || typeof process.setgid !== 'function')
    throw new ConfigError('user', 'privilege drop is not supported on this platform');
  handOver(files.handOver ?? [], to);
  process.setgroups?.([to.gid]);
  process.setgid(to.gid);
  process.setuid(to.uid);
  if (process.getuid!() !== to.uid || process.getgid!() !== to.gid)
    throw new ConfigError('user', `could not switch to uid ${to.uid} gid ${to.gid}`);
  checkWritable(files.writable ?? []);
  return to;
}
