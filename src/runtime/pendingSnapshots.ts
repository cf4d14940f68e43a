/**
 * The pure snapshots an EventSourcedActor expects after each event of the append it has in
 * flight, by stream: set just before the append, removed once it settles. An inline
 * projection running on the same thread (the sqlite log's writer on the event loop) reads them
 * instead of folding the stream again; one running elsewhere (the writer thread, a CLI, a
 * rebuild) finds nothing and folds. Only ever a shortcut: each holds the fold the actor already
 * computed for that revision.
 */
export interface PendingSnapshots {
  /** The revision of the first event of the append in flight. */
  readonly firstRevision: bigint;
  /** The snapshot after each event of the append, in order. */
  readonly snapshots: readonly unknown[];
  /** The snapshot before the first event (undefined for a new stream). */
  readonly before: unknown;
}

const pending = new Map<string, PendingSnapshots>();

export function setPendingSnapshots(stream: string, value: PendingSnapshots): void {
  pending.set(stream, value);
}

export function clearPendingSnapshots(stream: string): void {
  pending.delete(stream);
}

/** The snapshot the writing actor holds for `stream` after the event at `revision`, if it has that one. */
export function pendingSnapshotAt(stream: string, revision: bigint): unknown {
  const p = pending.get(stream);
  if (!p) return undefined;
  const i = Number(revision - p.firstRevision);
  return i >= 0 && i < p.snapshots.length ? p.snapshots[i] : undefined;
}

/**
 * The snapshot just before the event at `revision` when the writing actor holds it (the
 * previous event of the same append, or where the actor stood before it); `null` when the
 * event starts a new stream; undefined when not known here.
 */
export function pendingSnapshotBefore(stream: string, revision: bigint): unknown {
  const p = pending.get(stream);
  if (!p) return undefined;
  const i = Number(revision - p.firstRevision);
  if (i < 0 || i >= p.snapshots.length) return undefined;
  if (i > 0) return p.snapshots[i - 1];
  return p.before === undefined ? null : p.before;
}
