/**
 * The one contract suite every EventLog adapter runs (memory, sqlite, kurrentdb).
 * A test file calls eventLogContract(name, makeSubject); each test gets a fresh subject,
 * uses unique stream names (random prefix) so it can run against a shared real server,
 * and reads the global log only from positions it wrote, filtered by its own prefix.
 * Checks ordering, revisions, optimistic concurrency, group behaviour under concurrency,
 * readAll, subscribe (catch-up then live, no gaps or duplicates), close and reopen.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EventLogClosedError,
  ExpectedRevisionConflictError,
  type EventLog,
  type RecordedEvent,
} from '../../src/eventlog/eventLog.js';
import { assertStrictlyIncreasing, ev, nextWithin, sleep, take, toArray, uniquePrefix } from './contractHelpers.js';

/**
 * What an adapter's test hands to the contract. `reopen()` is called after `log.close()`
 * and returns a new log over the same storage; `cleanup()` closes every log it handed out
 * (close must be idempotent) and removes the storage.
 */
export interface ContractSubject {
  log: EventLog;
  reopen(): Promise<EventLog>;
  cleanup(): Promise<void>;
}

export function eventLogContract(
  adapterName: string,
  makeSubject: () => Promise<ContractSubject>,
  options: { skip?: string | false } = {},
): void {
  const skip = options.skip ? options.skip : false;
  describe(`${adapterName} event log contract`, { skip }, () => {
    let subject: ContractSubject;
    let log: EventLog;
    let prefix: string;

    beforeEach(async () => {
      subject = await makeSubject();
      log = subject.log;
      prefix = uniquePrefix();
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    it('reads a stream back in append order with its data, metadata and stream name', async () => {
      const stream = `${prefix}order`;
      await log.append(stream, [ev('Opened', 0), ev('Noted', 1)]);
      await log.append(stream, [ev('Noted', 2), ev('Closed', 3)]);
      const events = await toArray(log.readStream(stream));
      assert.deepEqual(
        events.map((e) => e.type),
        ['Opened', 'Noted', 'Noted', 'Closed'],
      );
      assert.deepEqual(
        events.map((e) => e.data),
        [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }],
      );
      for (const e of events) {
        assert.equal(e.stream, stream);
        assert.equal(e.metadata.schema, 1);
        assert.equal(typeof e.position, 'bigint');
        assert.ok(!Number.isNaN(Date.parse(e.recordedAt)), `recordedAt ${e.recordedAt}`);
      }
      assertStrictlyIncreasing(events.map((e) => e.position));
    });

    it('numbers revisions from 0n and returns the last as nextExpectedRevision', async () => {
      const stream = `${prefix}rev`;
      const first = await log.append(stream, [ev('A', 0)], { expectedRevision: 'no_stream' });
      assert.equal(first.nextExpectedRevision, 0n);
      const second = await log.append(stream, [ev('B', 1), ev('C', 2)], {
        expectedRevision: first.nextExpectedRevision,
      });
      assert.equal(second.nextExpectedRevision, 2n);
      assert.ok(second.position > first.position);
      const events = await toArray(log.readStream(stream));
      assert.deepEqual(
        events.map((e) => e.revision),
        [0n, 1n, 2n],
      );
      assert.equal(events[2]!.position, second.position);
    });

    it('reads a stream from a revision and up to maxCount; a missing stream reads empty', async () => {
      const stream = `${prefix}page`;
      await log.append(
        stream,
        Array.from({ length: 10 }, (_, i) => ev('E', i)),
      );
      const tail = await toArray(log.readStream(stream, { fromRevision: 7n }));
      assert.deepEqual(
        tail.map((e) => e.revision),
        [7n, 8n, 9n],
      );
      const some = await toArray(log.readStream(stream, { fromRevision: 2n, maxCount: 3 }));
      assert.deepEqual(
        some.map((e) => e.revision),
        [2n, 3n, 4n],
      );
      assert.deepEqual(await toArray(log.readStream(`${prefix}missing`)), []);
    });

    it("rejects 'no_stream' on an existing stream with ExpectedRevisionConflictError", async () => {
      const stream = `${prefix}nostream`;
      await log.append(stream, [ev('A', 0)], { expectedRevision: 'no_stream' });
      await assert.rejects(log.append(stream, [ev('B', 1)], { expectedRevision: 'no_stream' }), (err: unknown) => {
        assert.ok(err instanceof ExpectedRevisionConflictError);
        assert.equal(err.stream, stream);
        assert.equal(err.code, 'ERR_EXPECTED_REVISION');
        return true;
      });
      assert.equal((await toArray(log.readStream(stream))).length, 1);
    });

    it('rejects a bigint expectedRevision that does not match, on existing and missing streams', async () => {
      const stream = `${prefix}mismatch`;
      await log.append(stream, [ev('A', 0), ev('B', 1)]);
      await assert.rejects(log.append(stream, [ev('C', 2)], { expectedRevision: 0n }), ExpectedRevisionConflictError);
      await assert.rejects(log.append(stream, [ev('C', 2)], { expectedRevision: 5n }), ExpectedRevisionConflictError);
      await assert.rejects(
        log.append(`${prefix}absent`, [ev('C', 2)], { expectedRevision: 0n }),
        ExpectedRevisionConflictError,
      );
      const ok = await log.append(stream, [ev('C', 2)], { expectedRevision: 1n });
      assert.equal(ok.nextExpectedRevision, 2n);
      assert.deepEqual(await toArray(log.readStream(`${prefix}absent`)), []);
    });

    it("appends without a check with 'any' (and when expectedRevision is omitted)", async () => {
      const stream = `${prefix}any`;
      const a = await log.append(stream, [ev('A', 0)], { expectedRevision: 'any' });
      assert.equal(a.nextExpectedRevision, 0n);
      const b = await log.append(stream, [ev('B', 1)], { expectedRevision: 'any' });
      assert.equal(b.nextExpectedRevision, 1n);
      const c = await log.append(stream, [ev('C', 2)]);
      assert.equal(c.nextExpectedRevision, 2n);
    });

    it('lands every append of 50 concurrent appenders on distinct streams', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          log.append(`${prefix}par-${i}`, [ev('A', i), ev('B', i)], { expectedRevision: 'no_stream' }),
        ),
      );
      assert.equal(new Set(results.map((r) => r.position)).size, 50);
      for (let i = 0; i < 50; i++) {
        assert.equal(results[i]!.nextExpectedRevision, 1n);
        const events = await toArray(log.readStream(`${prefix}par-${i}`));
        assert.deepEqual(
          events.map((e) => [e.type, e.data.n]),
          [
            ['A', i],
            ['B', i],
          ],
        );
      }
    });

    it('lets exactly one of several concurrent appenders with the same expected revision win', async () => {
      const stream = `${prefix}race`;
      const base = await log.append(stream, [ev('Started', 0)]);
      const settled = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          log.append(stream, [ev('Raced', i)], { expectedRevision: base.nextExpectedRevision }),
        ),
      );
      const won = settled.filter((s) => s.status === 'fulfilled');
      const lost = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 9);
      for (const l of lost) assert.ok(l.reason instanceof ExpectedRevisionConflictError, String(l.reason));
      const events = await toArray(log.readStream(stream));
      assert.deepEqual(
        events.map((e) => e.revision),
        [0n, 1n],
      );
    });

    it('fails only the conflicting append among appends issued in the same tick', async () => {
      const taken = `${prefix}taken`;
      await log.append(taken, [ev('A', 0)]);
      const settled = await Promise.allSettled([
        log.append(`${prefix}tick-1`, [ev('A', 1)], { expectedRevision: 'no_stream' }),
        log.append(taken, [ev('B', 2)], { expectedRevision: 'no_stream' }),
        log.append(`${prefix}tick-2`, [ev('A', 3)], { expectedRevision: 'no_stream' }),
        log.append(taken, [ev('C', 4)], { expectedRevision: 0n }),
      ]);
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      assert.ok((settled[1] as PromiseRejectedResult).reason instanceof ExpectedRevisionConflictError);
      assert.deepEqual(
        (await toArray(log.readStream(taken))).map((e) => e.type),
        ['A', 'C'],
      );
      assert.equal((await toArray(log.readStream(`${prefix}tick-1`))).length, 1);
      assert.equal((await toArray(log.readStream(`${prefix}tick-2`))).length, 1);
    });

    it('reads all streams in global order from an inclusive position, filtered by prefix and type', async () => {
      const first = await log.append(`${prefix}x-1`, [ev('Received', 0)]);
      const second = await log.append(`${prefix}y-1`, [ev('Received', 1), ev('Delivered', 2)]);
      await log.append(`${prefix}x-2`, [ev('Deferred', 3)]);
      await log.append(`${prefix}x-1`, [ev('Delivered', 4)]);
      const mine = { streamPrefixes: [prefix] };

      const all = await toArray(log.readAll({ fromPosition: first.position, filter: mine }));
      assert.deepEqual(
        all.map((e) => e.data.n),
        [0, 1, 2, 3, 4],
      );
      assertStrictlyIncreasing(all.map((e) => e.position));
      assert.equal(all[0]!.position, first.position);
      assert.equal(all[2]!.position, second.position);

      const fromSecond = await toArray(log.readAll({ fromPosition: all[1]!.position, filter: mine }));
      assert.deepEqual(
        fromSecond.map((e) => e.data.n),
        [1, 2, 3, 4],
      );

      const xOnly = await toArray(
        log.readAll({ fromPosition: first.position, filter: { streamPrefixes: [`${prefix}x-`] } }),
      );
      assert.deepEqual(
        xOnly.map((e) => e.data.n),
        [0, 3, 4],
      );

      const delivered = await toArray(
        log.readAll({ fromPosition: first.position, filter: { streamPrefixes: [prefix], types: ['Delivered'] } }),
      );
      assert.deepEqual(
        delivered.map((e) => [e.stream, e.data.n]),
        [
          [`${prefix}y-1`, 2],
          [`${prefix}x-1`, 4],
        ],
      );

      const two = await toArray(log.readAll({ fromPosition: first.position, filter: mine, maxCount: 2 }));
      assert.deepEqual(
        two.map((e) => e.data.n),
        [0, 1],
      );
    });

    it('subscribes with catch-up then live, without gaps or duplicates', async () => {
      const stream = `${prefix}sub`;
      await log.append(stream, [ev('E', 0), ev('E', 1)]);
      await log.append(`${prefix}other`, [ev('E', 100)]);
      await log.append(stream, [ev('E', 2)]);
      const [firstEvent] = await toArray(log.readStream(stream, { maxCount: 1 }));
      const sub = log.subscribe({ fromPosition: firstEvent!.position, filter: { streamPrefixes: [stream] } });
      try {
        const reading = take(sub, 8);
        // Appends while the subscription may still be catching up, then after it went live.
        await Promise.all([log.append(stream, [ev('E', 3)]), log.append(stream, [ev('E', 4)])]);
        await sleep(50);
        await log.append(stream, [ev('E', 5), ev('E', 6)]);
        await sleep(250);
        await log.append(stream, [ev('E', 7)]);
        const got = await reading;
        assert.deepEqual(
          got.map((e) => e.revision),
          [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n],
        );
        assert.deepEqual(new Set(got.map((e) => e.data.n)), new Set([0, 1, 2, 3, 4, 5, 6, 7]));
        assertStrictlyIncreasing(got.map((e) => e.position));
        assert.equal(await nextWithin(sub, 300), undefined, 'no duplicate or stray event after the last one');
      } finally {
        await sub.close();
      }
    });

    it('delivers every event of a burst appended during catch-up, in order', async () => {
      const stream = `${prefix}burst`;
      const first = await log.append(stream, [ev('E', 0)]);
      const sub = log.subscribe({ fromPosition: first.position, filter: { streamPrefixes: [stream] } });
      try {
        const reading = take(sub, 101);
        for (let i = 1; i <= 100; i += 10) {
          await Promise.all(Array.from({ length: 10 }, (_, j) => log.append(stream, [ev('E', i + j)])));
        }
        const got = await reading;
        assert.deepEqual(
          got.map((e) => e.revision),
          Array.from({ length: 101 }, (_, i) => BigInt(i)),
        );
        assertStrictlyIncreasing(got.map((e) => e.position));
      } finally {
        await sub.close();
      }
    });

    it("subscribes from 'end' and receives only events appended afterwards", async () => {
      const stream = `${prefix}end`;
      await log.append(stream, [ev('Before', 0)]);
      const sub = log.subscribe({ fromPosition: 'end', filter: { streamPrefixes: [stream] } });
      try {
        await sleep(250);
        const reading = take(sub, 2);
        await log.append(stream, [ev('After', 1), ev('After', 2)]);
        const got = await reading;
        assert.deepEqual(
          got.map((e) => e.type),
          ['After', 'After'],
        );
        assert.deepEqual(
          got.map((e) => e.revision),
          [1n, 2n],
        );
      } finally {
        await sub.close();
      }
    });

    it('ends the iteration of a subscription when it is closed', async () => {
      const sub = log.subscribe({ fromPosition: 'end', filter: { streamPrefixes: [prefix] } });
      const iterator = sub[Symbol.asyncIterator]();
      const pending = iterator.next();
      await sleep(20);
      await sub.close();
      const result = await Promise.race([pending, sleep(2000).then(() => 'timeout' as const)]);
      assert.notEqual(result, 'timeout', 'iterator.next() did not settle after close()');
      assert.equal((result as IteratorResult<RecordedEvent>).done, true);
    });

    it('keeps every event across close and reopen', async () => {
      const stream = `${prefix}durable`;
      const written = await Promise.all(
        Array.from({ length: 20 }, (_, i) => log.append(`${stream}-${i % 4}`, [ev('E', i)])),
      );
      await log.close();
      const reopened = await subject.reopen();
      const lowest = written.reduce((min, w) => (w.position < min ? w.position : min), written[0]!.position);
      const events = await toArray(reopened.readAll({ fromPosition: lowest, filter: { streamPrefixes: [stream] } }));
      assert.deepEqual(new Set(events.map((e) => e.data.n)), new Set(Array.from({ length: 20 }, (_, i) => i)));
      const next = await reopened.append(`${stream}-0`, [ev('E', 20)], { expectedRevision: 4n });
      assert.equal(next.nextExpectedRevision, 5n);
    });

    it('rejects use after close with EventLogClosedError, and close is idempotent', async () => {
      await log.append(`${prefix}closed`, [ev('A', 0)]);
      await log.close();
      await log.close();
      await assert.rejects(log.append(`${prefix}closed`, [ev('B', 1)]), EventLogClosedError);
      await assert.rejects(toArray(log.readStream(`${prefix}closed`)), EventLogClosedError);
      await assert.rejects(toArray(log.readAll({ filter: { streamPrefixes: [prefix] } })), EventLogClosedError);
      // subscribe() may throw at once or fail the iteration; either way with EventLogClosedError.
      await assert.rejects(async () => {
        const sub = log.subscribe({ filter: { streamPrefixes: [prefix] } });
        await sub[Symbol.asyncIterator]().next();
      }, EventLogClosedError);
    });
  });
}
