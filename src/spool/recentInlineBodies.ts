/**
 * The inline bodies committed lately, kept in memory in front of the log's store: a message's
 * first attempt (and its policies) read the bytes the spool took in instead of reading them
 * back from the `bodies` table. Bounded in bytes, oldest dropped first; a removed body
 * leaves at once. Only a cache: the log's table stays the truth (a miss reads it).
 */
import type { InlineBodyStore } from './inlineBodies.js';

/** Bytes kept by default: a few seconds of small messages at full speed. */
export const RECENT_INLINE_BYTES = 8 * 1024 * 1024;

export class RecentInlineBodies implements InlineBodyStore {
  private readonly recent = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly store: InlineBodyStore,
    private readonly maxBytes = RECENT_INLINE_BYTES,
  ) {}

  get threshold(): number {
    return this.store.threshold;
  }

  /** This body was just committed (with its message's MessageReceived). */
  remember(id: string, bytes: Buffer): void {
    if (bytes.length > this.maxBytes) return;
    this.forget(id);
    this.recent.set(id, bytes);
    this.bytes += bytes.length;
    for (const [oldest, kept] of this.recent) {
      if (this.bytes <= this.maxBytes) break;
      this.recent.delete(oldest);
      this.bytes -= kept.length;
    }
  }

  read(id: string): Buffer | undefined {
    return this.recent.get(id) ?? this.store.read(id);
  }

  remove(id: string): boolean {
    this.forget(id);
    return this.store.remove(id);
  }

  /** How many bodies and bytes are kept now. */
  get size(): { bodies: number; bytes: number } {
    return { bodies: this.recent.size, bytes: this.bytes };
  }

  private forget(id: string): void {
    const kept = this.recent.get(id);
    if (kept === undefined) return;
    this.recent.delete(id);
    this.bytes -= kept.length;
  }
}
