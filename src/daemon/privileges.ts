/**
 * Privilege drop, as the tutorial's `drop_privileges(user, group)`: after the listening
 * sockets are bound (port 25 needs root), switch group then user, and refuse to go on if
 * the switch did not take. Names are resolved with `id` and `getent` (argv, no shell).
 */
import { execFileSync } from 'node:child_process';
import { ConfigError } from '../errors/mailtrailError.js';

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

function lookup(kind: 'user' | 'group', name: string | number, resolve: () => string): number {
  if (typeof name === 'number' || /^\d+$/.test(name)) return Number(name);
  try {
    return Number(resolve());
  } catch {
    throw new ConfigError(kind, `no such ${kind}: ${name}`);
  }
}

export function dropPrivileges(user?: string | number, group?: string | number): { uid: number; gid: number } | undefined {
  if (user === undefined && group === undefined) return undefined;
  if (typeof process.setuid !== 'function' || typeof process.setgid !== 'function') throw new ConfigError('user', 'privilege drop is not supported on this platform');
  const uid = user === undefined ? process.getuid!() : lookup('user', user, () => run('id', ['-u', String(user)]));
  const gid =
    group !== undefined
      ? lookup('group', group, () => run('getent', ['group', String(group)]).split(':')[2] ?? '')
      : lookup('group', String(user), () => run('id', ['-g', String(user)]));
  process.setgroups?.([gid]);
  process.setgid(gid);
  process.setuid(uid);
  if (process.getuid!() !== uid || process.getgid!() !== gid) throw new ConfigError('user', `could not switch to uid ${uid} gid ${gid}`);
  return { uid, gid };
}
