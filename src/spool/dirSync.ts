/**
 * Coalesced directory fsync: makes new directory entries (created bodies) durable.
 * `sync()` resolves once an fsync that *started after the call* has completed; callers
 * arriving while one is in flight wait together for the following one, so N concurrent
 * stores cost about two directory fsyncs, not N. A failed fsync rejects every caller of
 * that batch (they must treat their file as not durable); the next batch tries again.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';

export type FsyncDir = (dir: string) => Promise<void>;

/** Opens the directory read-only and fsyncs it (Linux, macOS). */
export const fsyncDir: FsyncDir = async (dir) => {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
};

/** Synchronous variant, for start-up: makes a newly created directory's own entry durable. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class DirSync {
  readonly dir: string;
  private readonly fsync: FsyncDir;
  private waiting: Waiter[] = [];
  private running = false;
  private syncs = 0;
  private requests = 0;

  constructor(dir: string, fsync: FsyncDir = fsyncDir) {
    this.dir = dir;
    this.fsync = fsync;
  }

  /** Directory fsyncs actually performed (successful or not). */
  get syncCount(): number {
    return this.syncs;
  }

  /** Calls to sync(). */
  get requestCount(): number {
    return this.requests;
  }

  sync(): Promise<void> {
    this.requests++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        this.syncs++;
        try {
          await this.fsync(this.dir);
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
