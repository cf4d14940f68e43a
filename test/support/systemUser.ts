/**
 * A real unprivileged system user for tests that run as root and drop privileges: created
 * with useradd (no home, no login shell) when missing, reused otherwise. Resolves its uid
 * and gid with `id`, as the daemon does.
 */
import { execFileSync } from 'node:child_process';

export interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

const id = (flag: string, name: string): number =>
  Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());

export function ensureSystemUser(name = 'mtvmail'): SystemUser {
  try {
    id('-u', name);
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], {
      stdio: 'ignore',
    });
  }
  return { name, uid: id('-u', name), gid: id('-g', name) };
}
