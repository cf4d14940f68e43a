/**
 * Global positions between the port and KurrentDB. The port's position is the event's
 * commit position (a bigint). KurrentDB appends write each event as its own implicitly
 * committed record, so an event's commit and prepare positions are equal; a port
 * position p is therefore read back as { commit: p, prepare: p }. Positions read from
 * the server keep both halves so they can be handed back verbatim as checkpoints.
 */
import type { Position } from '@kurrent/kurrentdb-client';

/** A port position → the client's read position (commit = prepare = p). */
export function toReadPosition(position: bigint): Position {
  return { commit: position, prepare: position };
}

/** A client position → the port's position: its commit position. */
export function fromClientPosition(position: Position): bigint {
  return position.commit;
}

/** The position of a resolved event: the record's own, else the resolved commit position. */
export function positionOf(resolved: {
  event?: { position?: Position | undefined } | undefined;
  commitPosition?: bigint | undefined;
}): Position | undefined {
  if (resolved.event?.position) return resolved.event.position;
  if (resolved.commitPosition !== undefined) return toReadPosition(resolved.commitPosition);
  return undefined;
}

/** The later of two optional positions (by commit, then prepare). */
export function laterPosition(a: Position | undefined, b: Position | undefined): Position | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.commit !== b.commit) return a.commit > b.commit ? a : b;
  return a.prepare >= b.prepare ? a : b;
}
