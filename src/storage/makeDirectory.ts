/**
 * Making a directory the configuration names (`dataDir`, a Maildir `root`) at start, with an
 * error that says which key of which file named it and why it cannot be made, instead of the
 * bare `EEXIST: file already exists, mkdir …` of mkdirSync.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { MailtrailError } from '../errors/mailtrailError.js';

/** A directory the configuration names cannot be made (a file in the way, no permission, …). */
export class DirectoryCreateError extends MailtrailError {
  readonly path: string;
  constructor(path: string, key: string, file: string | undefined, reason: string, cause: unknown) {
    super('ERR_DIRECTORY_CREATE', `${key} ${path}${file ? ` (${file})` : ''}: ${reason}`, { cause });
    this.path = path;
  }
}

/** The nearest of `path` and its parents that exists: where mkdir stopped. */
function existingAncestor(path: string): string {
  for (let at = path; ; at = dirname(at)) {
    try {
      statSync(at);
      return at;
    } catch {
      if (at === dirname(at)) return at;
    }
  }
}

function reasonOf(path: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EEXIST':
    case 'ENOTDIR':
      return `not a directory: a file stands at ${existingAncestor(path)}; move it away or choose another directory`;
    case 'EACCES':
    case 'EPERM': {
      const uid = process.getuid?.();
      return `cannot be created: permission denied in ${existingAncestor(dirname(path))}${uid === undefined ? '' : ` for uid ${uid}`}; create it (as root) or choose a directory that user may write`;
    }
    case 'EROFS':
      return 'cannot be created: the file system is read-only';
    case 'ENOSPC':
      return 'cannot be created: no space left on the device';
    default:
      return `cannot be created: ${err.message}`;
  }
}

/**
 * mkdir -p `path` (parents with `parentMode`, the directory itself with `mode`); returns the first
 * directory it made, as mkdirSync does. `key` and `file` name where the path came from.
 */
export function makeDirectory(
  path: string,
  where: { key: string; file?: string | undefined },
  modes: { mode: number; parentMode?: number },
): string | undefined {
  try {
    if (modes.parentMode !== undefined) mkdirSync(dirname(path), { recursive: true, mode: modes.parentMode });
    return mkdirSync(path, { recursive: true, mode: modes.mode });
  } catch (err) {
    throw new DirectoryCreateError(path, where.key, where.file, reasonOf(path, err as NodeJS.ErrnoException), err);
  }
}
