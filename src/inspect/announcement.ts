/**
 * How `mailtrail inspect` finds a running relay: while the daemon serves one, it writes
 * `<dataDir>/inspector.json` ({ port, token, pid }, mode 0600 — the token lets a reporter in)
 * and removes it at stop. A missing, unreadable or malformed file reads as undefined; a stale
 * one (daemon killed) is detected by the reader failing to connect.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Announcement {
  readonly port: number;
  readonly token: string;
  readonly pid: number;
}

export const announcementPath = (dataDir: string): string => join(dataDir, 'inspector.json');

export function writeAnnouncement(dataDir: string, a: Announcement): void {
  const path = announcementPath(dataDir);
  rmSync(path, { force: true });
  writeFileSync(path, `${JSON.stringify(a)}\n`, { mode: 0o600, flag: 'wx' });
}

export function readAnnouncement(dataDir: string): Announcement | undefined {
  try {
    const v = JSON.parse(readFileSync(announcementPath(dataDir), 'utf8')) as Partial<Announcement>;
    if (typeof v.port === 'number' && typeof v.token === 'string' && typeof v.pid === 'number')
      return { port: v.port, token: v.token, pid: v.pid };
  } catch {
    /* none, or not ours to read */
  }
  return undefined;
}

/** Best effort: after a privilege drop the file may not be ours to remove any more. */
export function removeAnnouncement(dataDir: string, token: string): void {
  if (readAnnouncement(dataDir)?.token !== token) return;
  try {
    rmSync(announcementPath(dataDir), { force: true });
  } catch {
    /* left for the next start to replace */
  }
}

export const reporterUrlFor = (a: Pick<Announcement, 'port' | 'token'>): string =>
  `ws://127.0.0.1:${a.port}/report?token=${a.token}`;
