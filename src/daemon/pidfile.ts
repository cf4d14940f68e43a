/**
 * The pid file (`--pidfile` / `pidfile:`): written after the daemon listens, removed when it
 * exits. A file naming a live process refuses the start (another daemon runs); a stale one
 * is replaced.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors/mailtrailError.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writePidfile(path: string): () => void {
  let old: number | undefined;
  try {
    old = Number(readFileSync(path, 'utf8').trim());
  } catch {
    old = undefined;
  }
  if (old && old !== process.pid && alive(old))
    throw new ConfigError('pidfile', `${path} names process ${old}, which is running`);
  writeFileSync(path, `${process.pid}\n`, { mode: 0o644 });
  return () => rmSync(path, { force: true });
}
