/**
 * Offline tests of the kurrentdb adapter's wiring, against FakeKurrentClient (which keeps
 * KurrentDB's inclusive readAll / exclusive subscribeToAll semantics): append options and
 * error translation, reads, the catch-up → live handover of subscriptions, close(). The
 * real-server check is kurrentdb.test.ts (the contract suite, needs KURRENTDB_CONNECTION_STRING).
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { END, START, type KurrentDBClient, type Position } from '@kurrent/kurrentdb-client';
import { ConfigError, InvariantError } from '../../src/errors/index.js';
import {
  EventLogClosedError,
  ExpectedRevisionConflictError,
  type RecordedEvent,
  type Subscription,
} from '../../src/eventlog/eventLog.js';
import { KurrentdbEventLog } from '../../src/eventlog/kurrentdb/kurrentdbEventLog.js';
import { FakeKurrentClient } from './kurrentdbFakeClient.js';

async function toArray<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function take(sub: Subscription, count: number): Promise<RecordedEvent[]> {
  const iterator = sub[Symbol.asyncIterator]();
  const out: RecordedEvent[] = [];
  while (out.length < count) {
    const next = await Promise.race([iterator.next(), sleep(2000).then(() => 'timeout' as const)]);
    if (next === 'timeout') throw new Error(`got ${out.length}/${count} events`);
    if (next.done) throw new Error(`ended after ${out.length}/${count} events`);
    out.push(next.value);
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('kurrentdb adapter against a fake client', () => {
  let fake: FakeKurrentClient;
  let log: KurrentdbEventLog;

  beforeEach(() => {
    fake = new FakeKurrentClient();
    log = new KurrentdbEventLog(fake as unknown as KurrentDBClient);
  });

  afterEach(async () => {
    await log.close();
  });

  it('appends with streamState and returns the last revision and commit position', async () => {
    const first = await log.append('message-1', [{ type: 'A', data: { n: 0 } }], { expectedRevision: 'no_stream' });
    const second = await log.append(
      'message-1',
      [
        { type: 'B', data: { n: 1 } },
        { type: 'C', data: { n: 2 } },
      ],
      {
        expectedRevision: 0n,
      },
    );
    await log.append('message-1', [{ type: 'D', data: { n: 3 } }]);
    assert.deepEqual(
      fake.appendCalls.map((c) => c.streamState),
      ['no_stream', 0n, 'any'],
    );
    assert.deepEqual(first, { nextExpectedRevision: 0n, position: 100n });
    assert.deepEqual(second, { nextExpectedRevision: 2n, position: 300n });
  });

  it('translates a wrong expected version into ExpectedRevisionConflictError', async () => {
    await log.append('message-1', [{ type: 'A', data: {} }]);
    await assert.rejects(
      log.append('message-1', [{ type: 'B', data: {} }], { expectedRevision: 'no_stream' }),
      (err) => {
        assert.ok(err instanceof ExpectedRevisionConflictError);
        assert.deepEqual([err.stream, err.expected, err.actual], ['message-1', 'no_stream', 0n]);
        return true;
      },
    );
    await assert.rejects(log.append('message-2', [{ type: 'B', data: {} }], { expectedRevision: 4n }), (err) => {
      assert.ok(err instanceof ExpectedRevisionConflictError);
      assert.deepEqual([err.expected, err.actual], [4n, 'no_stream']);
      return true;
    });
  });

  it('refuses an empty append', async () => {
    await assert.rejects(log.append('message-1', []), InvariantError);
  });

  it('reads a stream from a revision up to maxCount, and a missing stream as empty', async () => {
    for (let i = 0; i < 5; i++) fake.add('message-1', 'E', { n: i });
    const events = await toArray(log.readStream('message-1', { fromRevision: 1n, maxCount: 2 }));
    assert.deepEqual(
      events.map((e) => [e.revision, e.data.n, e.position]),
      [
        [1n, 1, 200n],
        [2n, 2, 300n],
      ],
    );
    assert.deepEqual(await toArray(log.readStream('message-404')), []);
  });

  it('reads all from an inclusive position, without system events, filtered, up to maxCount', async () => {
    fake.add('message-1', 'Received', { n: 0 }); // 100
    fake.add('$stats-node', 'StatsCollected'); // 200
    fake.add('session-1', 'Received', { n: 1 }); // 300
    fake.add('message-2', '$>', { n: 9 }); // 400
    fake.add('message-2', 'Delivered', { n: 2 }); // 500
    fake.add('message-1', 'Delivered', { n: 3 }); // 600
    const all = await toArray(log.readAll({ fromPosition: 300n }));
    assert.deepEqual(
      all.map((e) => e.position),
      [300n, 500n, 600n],
    );
    const delivered = await toArray(log.readAll({ filter: { streamPrefixes: ['message-'], types: ['Delivered'] } }));
    assert.deepEqual(
      delivered.map((e) => e.data.n),
      [2, 3],
    );
    const two = await toArray(log.readAll({ filter: { streamPrefixes: ['message-'] }, maxCount: 2 }));
    assert.deepEqual(
      two.map((e) => e.data.n),
      [0, 2],
    );
  });

  it('catches up from an inclusive position, then goes live from the last covered position', async () => {
    fake.add('m-1', 'E', { n: 0 }); // 100
    fake.add('other-1', 'E'); // 200
    fake.add('m-1', 'E', { n: 1 }); // 300
    fake.add('$stats-node', 'StatsCollected'); // 400
    fake.add('m-1', 'E', { n: 2 }); // 500
    fake.onReadAllYield = (index) => {
      if (index === 2) fake.add('m-1', 'E', { n: 3 }); // 600, appended during catch-up
    };
    const sub = log.subscribe({ fromPosition: 300n, filter: { streamPrefixes: ['m-'] } });
    try {
      const reading = take(sub, 4);
      await sleep(30);
      fake.add('m-1', 'E', { n: 4 }); // 700, live
      fake.add('m-1', 'E', { n: 5 }); // 800, live
      const got = await reading;
      assert.deepEqual(
        got.map((e) => e.revision),
        [1n, 2n, 3n, 4n],
      );
      assert.deepEqual(
        (await take(sub, 1)).map((e) => e.revision),
        [5n],
      );
      assert.deepEqual(fake.subscribedFrom, [{ commit: 600n, prepare: 600n } satisfies Position]);
      const extra = await Promise.race([sub[Symbol.asyncIterator]().next(), sleep(50).then(() => 'none')]);
      assert.equal(extra, 'none');
    } finally {
      await sub.close();
    }
  });

  it('goes live from the end of the log read before catch-up when nothing after the position matches', async () => {
    fake.add('m-1', 'E'); // 100
    fake.add('other-1', 'E'); // 200
    const sub = log.subscribe({ fromPosition: 100n, filter: { streamPrefixes: ['z-'] } });
    try {
      await sleep(30);
      assert.deepEqual(fake.subscribedFrom, [{ commit: 200n, prepare: 200n }]);
      fake.add('z-1', 'E', { n: 7 });
      assert.deepEqual(
        (await take(sub, 1)).map((e) => e.data.n),
        [7],
      );
    } finally {
      await sub.close();
    }
  });

  it("subscribes from START by default and from 0n, from END for 'end'", async () => {
    fake.add('m-1', 'E', { n: 0 });
    const fromStart = log.subscribe();
    const fromZero = log.subscribe({ fromPosition: 0n });
    const fromEnd = log.subscribe({ fromPosition: 'end' });
    try {
      await sleep(30);
      fake.add('m-1', 'E', { n: 1 });
      assert.deepEqual(
        (await take(fromStart, 2)).map((e) => e.data.n),
        [0, 1],
      );
      assert.deepEqual(
        (await take(fromZero, 2)).map((e) => e.data.n),
        [0, 1],
      );
      assert.deepEqual(
        (await take(fromEnd, 1)).map((e) => e.data.n),
        [1],
      );
      assert.deepEqual(fake.subscribedFrom, [START, START, END]);
    } finally {
      await Promise.all([fromStart.close(), fromZero.close(), fromEnd.close()]);
    }
  });

  it('settles a pending next() with done on close() and unsubscribes', async () => {
    const sub = log.subscribe({ fromPosition: 'end' });
    const pending = sub[Symbol.asyncIterator]().next();
    await sleep(20);
    await sub.close();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(fake.lives.size, 0);
  });

  it('ends the iteration with the error the live subscription reports', async () => {
    const sub = log.subscribe({ fromPosition: 'end' });
    await sleep(20);
    for (const live of fake.lives) live.emit('error', new Error('connection lost'));
    await assert.rejects(sub[Symbol.asyncIterator]().next(), /connection lost/);
    await sub.close();
  });

  it('fails every call after close() with EventLogClosedError and disposes the client once', async () => {
    const sub = log.subscribe({ fromPosition: 'end' });
    await log.close();
    await log.close();
    assert.equal(fake.disposeCalls, 1);
    assert.equal((await sub[Symbol.asyncIterator]().next()).done, true);
    await assert.rejects(log.append('m-1', [{ type: 'A', data: {} }]), EventLogClosedError);
    await assert.rejects(toArray(log.readStream('m-1')), EventLogClosedError);
    await assert.rejects(toArray(log.readAll()), EventLogClosedError);
    assert.throws(() => log.subscribe(), EventLogClosedError);
  });
});

describe('kurrentdb adapter construction', () => {
  it('parses a connection string without connecting, and closes', async () => {
    const log = KurrentdbEventLog.fromConnectionString('kurrentdb://localhost:2113?tls=false');
    await log.close();
    await assert.rejects(log.append('m-1', [{ type: 'A', data: {} }]), EventLogClosedError);
  });

  it('rejects a malformed connection string with a ConfigError naming the key', () => {
    assert.throws(
      () => new KurrentdbEventLog('http://nope'),
      (err) => err instanceof ConfigError && err.key === 'eventLog.connectionString',
    );
  });
});
