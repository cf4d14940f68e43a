/**
 * Unit tests of the kurrentdb adapter's pure mappings, no server needed: revisions both
 * ways, positions, event shapes both ways, the translation of the client's real
 * WrongExpectedVersionError into ExpectedRevisionConflictError, and filters (which part
 * the server gets, which part is checked in process).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANY,
  EVENT_TYPE,
  NO_STREAM,
  STREAM_NAME,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { InvariantError } from '../../src/errors/index.js';
import { ExpectedRevisionConflictError } from '../../src/eventlog/eventLog.js';
import { fromCurrentState, fromStreamState, toStreamState } from '../../src/eventlog/kurrentdb/revisionMapping.js';
import {
  fromClientPosition,
  laterPosition,
  positionOf,
  toReadPosition,
} from '../../src/eventlog/kurrentdb/positionMapping.js';
import {
  isSystemEvent,
  toEventData,
  toRecordedEvent,
  type ClientRecord,
} from '../../src/eventlog/kurrentdb/eventMapping.js';
import {
  conflictFromFailedAppend,
  isStreamNotFound,
  isWrongExpectedVersion,
  translateAppendError,
} from '../../src/eventlog/kurrentdb/errorMapping.js';
import { passesClientFilter, toServerFilter } from '../../src/eventlog/kurrentdb/filterMapping.js';

function record(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id: '0b4c4e1e-9f9a-4a55-8d7c-1f6f3b1c2d3e',
    streamId: 'message-42',
    revision: 3n,
    type: 'MessageReceived',
    data: { from: 'a@example.org' },
    metadata: { schema: 1 },
    created: new Date('2025-03-01T12:00:00.250Z'),
    position: { commit: 1234n, prepare: 1234n },
    ...overrides,
  };
}

describe('kurrentdb revision mapping', () => {
  it("maps 'no_stream', 'any' and a bigint to the client's streamState", () => {
    assert.equal(toStreamState('no_stream'), NO_STREAM);
    assert.equal(toStreamState('any'), ANY);
    assert.equal(toStreamState(0n), 0n);
    assert.equal(toStreamState(41n), 41n);
  });

  it("defaults to 'any' when no expected revision is given", () => {
    assert.equal(toStreamState(undefined), ANY);
  });

  it('refuses a negative bigint instead of sending it', () => {
    assert.throws(() => toStreamState(-1n), InvariantError);
  });

  it('maps streamState back to the port, and refuses stream_exists', () => {
    assert.equal(fromStreamState(NO_STREAM), 'no_stream');
    assert.equal(fromStreamState(ANY), 'any');
    assert.equal(fromStreamState(7n), 7n);
    assert.throws(() => fromStreamState('stream_exists'), InvariantError);
  });

  it("maps the server's current state to bigint | 'no_stream'", () => {
    assert.equal(fromCurrentState(NO_STREAM), 'no_stream');
    assert.equal(fromCurrentState(0n), 0n);
    assert.equal(fromCurrentState(12n), 12n);
    assert.equal(fromCurrentState(-1n), 'no_stream');
    assert.equal(fromCurrentState(-5n), 'no_stream');
  });
});

describe('kurrentdb position mapping', () => {
  it('reads a port position as commit = prepare', () => {
    assert.deepEqual(toReadPosition(987n), { commit: 987n, prepare: 987n });
  });

  it("takes the commit position as the port's position", () => {
    assert.equal(fromClientPosition({ commit: 500n, prepare: 480n }), 500n);
  });

  it("prefers the record's position, else the resolved commit position", () => {
    assert.deepEqual(positionOf({ event: { position: { commit: 9n, prepare: 8n } }, commitPosition: 1n }), {
      commit: 9n,
      prepare: 8n,
    });
    assert.deepEqual(positionOf({ event: {}, commitPosition: 77n }), { commit: 77n, prepare: 77n });
    assert.equal(positionOf({}), undefined);
  });

  it('picks the later of two positions', () => {
    const a = { commit: 10n, prepare: 10n };
    const b = { commit: 20n, prepare: 20n };
    assert.equal(laterPosition(a, b), b);
    assert.equal(laterPosition(b, a), b);
    assert.equal(laterPosition(undefined, a), a);
    assert.equal(laterPosition(a, undefined), a);
    assert.equal(laterPosition(undefined, undefined), undefined);
    assert.deepEqual(laterPosition({ commit: 5n, prepare: 1n }, { commit: 5n, prepare: 3n }), {
      commit: 5n,
      prepare: 3n,
    });
  });
});

describe('kurrentdb event mapping', () => {
  it('writes a JSON event with type, data, metadata and a fresh id', () => {
    const written = toEventData({ type: 'MessageReceived', data: { size: 10 }, metadata: { schema: 2 } });
    assert.equal(written.contentType, 'application/json');
    assert.equal(written.type, 'MessageReceived');
    assert.deepEqual(written.data, { size: 10 });
    assert.deepEqual(written.metadata, { schema: 2 });
    assert.match(written.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.notEqual(toEventData({ type: 'A', data: {} }).id, toEventData({ type: 'A', data: {} }).id);
  });

  it('writes no metadata when none is given', () => {
    assert.equal(toEventData({ type: 'A', data: { n: 1 } }).metadata, undefined);
  });

  it('reads a resolved event as a RecordedEvent', () => {
    const event = toRecordedEvent({ event: record(), commitPosition: 1234n });
    assert.deepEqual(event, {
      stream: 'message-42',
      revision: 3n,
      position: 1234n,
      type: 'MessageReceived',
      data: { from: 'a@example.org' },
      metadata: { schema: 1 },
      recordedAt: '2025-03-01T12:00:00.250Z',
    });
  });

  it('reads missing metadata as an empty object', () => {
    assert.deepEqual(toRecordedEvent({ event: record({ metadata: undefined }) })?.metadata, {});
  });

  it('falls back to the resolved commit position when the record has none', () => {
    assert.equal(toRecordedEvent({ event: record({ position: undefined }), commitPosition: 55n })?.position, 55n);
  });

  it('yields nothing for a resolved event without an event (dangling link)', () => {
    assert.equal(toRecordedEvent({ commitPosition: 1n }), undefined);
  });

  it('fails with InvariantError on binary data, non-object metadata or no position', () => {
    assert.throws(() => toRecordedEvent({ event: record({ data: new Uint8Array([1, 2]) }) }), InvariantError);
    assert.throws(() => toRecordedEvent({ event: record({ data: [1, 2] }) }), InvariantError);
    assert.throws(() => toRecordedEvent({ event: record({ metadata: 'text' }) }), InvariantError);
    assert.throws(() => toRecordedEvent({ event: record({ metadata: new Uint8Array([0xff]) }) }), InvariantError);
    assert.throws(() => toRecordedEvent({ event: record({ position: undefined }) }), /no position/);
  });

  it('recognises system streams and event types by their $ prefix', () => {
    assert.equal(isSystemEvent('$stats-127.0.0.1:2113', 'StatsCollected'), true);
    assert.equal(isSystemEvent('message-1', '$>'), true);
    assert.equal(isSystemEvent('message-1', 'MessageReceived'), false);
  });
});

describe('kurrentdb error mapping', () => {
  const wrong = (expected: bigint | 'no_stream' | 'any', current: bigint | 'no_stream') =>
    new WrongExpectedVersionError(undefined, { streamName: 'message-42', expected, current });

  it('translates WrongExpectedVersionError into ExpectedRevisionConflictError', () => {
    const original = wrong(3n, 5n);
    const translated = translateAppendError(original, 'message-42', 3n);
    assert.ok(translated instanceof ExpectedRevisionConflictError);
    assert.equal(translated.code, 'ERR_EXPECTED_REVISION');
    assert.equal(translated.stream, 'message-42');
    assert.equal(translated.expected, 3n);
    assert.equal(translated.actual, 5n);
    assert.equal(translated.cause, original);
  });

  it("reports a missing stream as actual 'no_stream' and keeps the caller's expectation", () => {
    const translated = translateAppendError(wrong(0n, 'no_stream'), 'message-7', 0n);
    assert.ok(translated instanceof ExpectedRevisionConflictError);
    assert.equal(translated.actual, 'no_stream');
    assert.equal(translated.expected, 0n);
    const existing = translateAppendError(wrong('no_stream', 0n), 'message-7', 'no_stream');
    assert.ok(existing instanceof ExpectedRevisionConflictError);
    assert.equal(existing.expected, 'no_stream');
    assert.equal(existing.actual, 0n);
  });

  it('recognises the error by its type tag too (a second copy of the client)', () => {
    const lookalike = { type: 'wrong-expected-version', actualState: 2n, message: 'x' };
    assert.equal(isWrongExpectedVersion(lookalike), true);
    const translated = translateAppendError(lookalike, 'session-1', 1n);
    assert.ok(translated instanceof ExpectedRevisionConflictError);
    assert.equal(translated.actual, 2n);
  });

  it('passes other errors through unchanged', () => {
    const unavailable = new UnavailableError();
    assert.equal(translateAppendError(unavailable, 'message-1', 'any'), unavailable);
    const plain = new Error('boom');
    assert.equal(translateAppendError(plain, 'message-1', 'any'), plain);
  });

  it('turns a success:false append result into a conflict (-1n = no stream)', () => {
    const conflict = conflictFromFailedAppend('message-3', 4n, -1n);
    assert.equal(conflict.actual, 'no_stream');
    assert.equal(conflict.expected, 4n);
    assert.equal(conflictFromFailedAppend('message-3', 'no_stream', 6n).actual, 6n);
  });

  it('recognises StreamNotFoundError and nothing else as a missing stream', () => {
    assert.equal(isStreamNotFound(new StreamNotFoundError(undefined, 'message-9')), true);
    assert.equal(isStreamNotFound(wrong(0n, 1n)), false);
    assert.equal(isStreamNotFound(new Error('stream-not-found')), false);
  });
});

describe('kurrentdb filter mapping', () => {
  it('sends stream prefixes to the server as a stream-name prefix filter', () => {
    const filter = toServerFilter({ streamPrefixes: ['message-', 'session-'], types: ['MessageReceived'] });
    assert.equal(filter.filterOn, STREAM_NAME);
    assert.ok('prefixes' in filter);
    assert.deepEqual(filter.prefixes, ['message-', 'session-']);
  });

  it('sends types alone as an event-type prefix filter', () => {
    const filter = toServerFilter({ types: ['Delivered', 'Deferred'] });
    assert.equal(filter.filterOn, EVENT_TYPE);
    assert.ok('prefixes' in filter);
    assert.deepEqual(filter.prefixes, ['Delivered', 'Deferred']);
  });

  it('excludes system events on the server when there is no filter', () => {
    for (const filter of [toServerFilter(), toServerFilter({}), toServerFilter({ streamPrefixes: [] })]) {
      assert.equal(filter.filterOn, EVENT_TYPE);
      assert.ok('regex' in filter);
      assert.equal(filter.regex, '^[^$].*');
    }
  });

  it('checks in process what the server cannot: exact types with prefixes, and system events', () => {
    const filter = { streamPrefixes: ['message-'], types: ['Delivered'] };
    assert.equal(passesClientFilter({ streamId: 'message-1', type: 'Delivered' }, filter), true);
    assert.equal(passesClientFilter({ streamId: 'message-1', type: 'DeliveredLate' }, filter), false);
    assert.equal(passesClientFilter({ streamId: 'session-1', type: 'Delivered' }, filter), false);
    assert.equal(passesClientFilter({ streamId: '$stats-node', type: 'Delivered' }, undefined), false);
    assert.equal(passesClientFilter({ streamId: 'message-1', type: '$metadata' }, undefined), false);
    assert.equal(passesClientFilter({ streamId: 'message-1', type: 'Delivered' }, undefined), true);
    assert.equal(passesClientFilter({ streamId: 'message-1', type: 'Delivered' }, { streamPrefixes: [] }), false);
  });
});
