/**
 * fsync of a directory, shared by concurrent callers (group commit for directory entries):
 * a caller whose link() completed before a sync started is covered by that sync, so while one
 * runs, every caller that arrives meanwhile waits for the single next one instead of each
 * opening, syncing and closing the directory itself. Written here because no library does it.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

interface Round {
  readonly done: Promise<void>;
}

export class DirectorySync {
  /** Per directory: the sync running now, and the one queued behind it. */
  private readonly rounds = new Map<string, { running: Round; next?: Round }>();

  /** `fsync` opens, syncs and closes a directory (a test passes one it can hold back). */
  constructor(private readonly fsync: (dir: string) => Promise<void> = fsyncDirectory) {}

  /** Resolves once an fsync of `dir` that started after this call has completed. */
  sync(dir: string): Promise<void> {
    const state = this.rounds.get(dir);
    if (!state) return this.start(dir).done;
    state.next ??= { done: state.running.done.catch(() => undefined).then(() => this.promote(dir)) };
    return state.next.done;
  }

  private start(dir: string): Round {
    const round: Round = {
      done: this.fsync(dir).finally(() => {
        const state = this.rounds.get(dir);
        if (state?.running === round && !state.next) this.rounds.delete(dir);
      }),
    };
    this.rounds.set(dir, { running: round });
    return round;
  }

  /** The queued round becomes the running one and syncs. */
  private promote(dir: string): Promise<void> {
    const round = this.start(dir);
    return round.done;
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
