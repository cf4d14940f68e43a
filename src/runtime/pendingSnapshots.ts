/**
 * The pure snapshot an EventSourcedActor expects after the append it has in flight, by stream:
 * set just before the append, removed once it settles. An inline projection running on the
 * same thread (the sqlite log's writer on the event loop) reads it instead of folding the
 * stream again; one running elsewhere (the writer thread, a CLI, a rebuild) finds nothing and
 * folds. Only ever a shortcut: it holds the fold the actor already computed for that revision.
 */
export interface PendingSnapshot {
  /** The revision of the last event of the append in flight. */
  readonly revision: bigint;
  readonly snapshot: unknown;
}

const pending = new Map<string, PendingSnapshot>();

export function setPendingSnapshot(stream: string, value: PendingSnapshot): void {
  pending.set(stream, value);
}

export function clearPendingSnapshot(stream: string): void {
  pending.delete(stream);
}

/** The snapshot the writing actor holds for `stream` after `revision`, if it is that one. */
export function pendingSnapshotAt(stream: string, revision: bigint): unknown {
  const p = pending.get(stream);
  return p && p.revision === revision ? p.snapshot : undefined;
}
