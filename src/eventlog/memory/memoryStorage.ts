/**
 * MemoryStorage: the arrays behind MemoryEventLog (test double only).
 * Events are kept sorted by position; share one storage between two MemoryEventLogs to
 * simulate closing and reopening the same log. lowerBound finds a position by bisection.
 */
import type { RecordedEvent } from '../eventLog.js';

export interface MemoryStorage {
  readonly events: RecordedEvent[];
  readonly revisions: Map<string, bigint>;
}

export function createMemoryStorage(): MemoryStorage {
  return { events: [], revisions: new Map() };
}

/** Index of the first event whose position is >= `position`. */
export function lowerBound(events: readonly RecordedEvent[], position: bigint): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.position < position) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
