/**
 * Revisions between the port and KurrentDB. The port's ExpectedRevision becomes the
 * client's `streamState` append option (client 1.x; older clients called it
 * expectedRevision): 'no_stream' → NO_STREAM, 'any' → ANY, bigint → that revision.
 * Both count from 0n, so revisions pass through unchanged. A server's current state
 * in a conflict comes back as bigint | 'no_stream'. A negative bigint is a bug: InvariantError.
 */
import { ANY, NO_STREAM, type AppendStreamState, type CurrentStreamState } from '@kurrent/kurrentdb-client';
import { InvariantError } from '../../errors/index.js';
import type { ExpectedRevision } from '../eventLog.js';

/** The port's expected revision → the client's `streamState` (default 'any'). */
export function toStreamState(expected: ExpectedRevision = 'any'): AppendStreamState {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected < 0n) throw new InvariantError(`expected revision must be 'no_stream', 'any' or >= 0n, got ${expected}`);
  return expected;
}

/**
 * The client's `streamState` back into the port's vocabulary. 'stream_exists' has no
 * port equivalent and is never sent by this adapter: InvariantError.
 */
export function fromStreamState(state: AppendStreamState): ExpectedRevision {
  if (state === ANY) return 'any';
  if (state === NO_STREAM) return 'no_stream';
  if (state === 'stream_exists') throw new InvariantError("'stream_exists' has no ExpectedRevision equivalent");
  return state;
}

/**
 * A stream's current state as the server reports it → the port's actual revision.
 * Negative states (-1n "none" from throwOnAppendFailure=false results, -5n deleted,
 * -6n tombstoned in the v2 protocol) all mean there is no live stream: 'no_stream'.
 */
export function fromCurrentState(current: CurrentStreamState): bigint | 'no_stream' {
  if (current === NO_STREAM) return 'no_stream';
  return current < 0n ? 'no_stream' : current;
}
