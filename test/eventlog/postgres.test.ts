/**
 * Runs the event-log contract against PostgresEventLog on a real PostgreSQL 15 server that
 * this file starts (test/support/postgresServer.ts), then the adapter's own guarantees:
 * group commit (one batch per tick), a transaction that commits late is still delivered in
 * order to a live subscriber and to readAll, many writers on several connections with a live
 * subscription lose and duplicate nothing, and an unreachable server rejects appends with
 * EventLogWriteError (451 4.3.0) and carries on once it is back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { ExpectedRevisionConflictError, type EventLog, type RecordedEvent } from '../../src/eventlog/eventLog.js';
import { EventLogLockedError, PostgresEventLog } from '../../src/eventlog/postgres/index.js';
import { EventLogWriteError } from '../../src/eventlog/sqlite/sqliteErrors.js';
import { describeTarget } from '../../src/eventlog/postgres/postgresErrors.js';
import { startPostgres, type PostgresServer } from '../support/postgresServer.js';
import { assertStrictlyIncreasing, ev, take, toArray, uniquePrefix } from './contractHelpers.js';
import { eventLogContract } from './eventLog.contract.js';

let server: PostgresServer;
let url: string;
before(async () => {
  server = await startPostgres();
  url = await server.createDatabase('contract');
});
after(() => server.stop());

eventLogContract('postgres', async () => {
  const logs: EventLog[] = [new PostgresEventLog(url, { pollIntervalMs: 50 })];
  return {
    log: logs[0]!,
    async reopen() {
      const log = new PostgresEventLog(url, { pollIntervalMs: 50 });
      logs.push(log);
      return log;
    },
    async cleanup() {
      await Promise.all(logs.map((log) => log.close()));
    },
  };
});

describe('postgres event log', () => {
  it('sends the appends of one tick as one batch (one transaction)', async () => {
    const log = new PostgresEventLog(url);
    try {
      const prefix = uniquePrefix();
      await log.append(`${prefix}warm`, [ev('A', 0)]);
      const before = { ...log.stats };
      await Promise.all(Array.from({ length: 40 }, (_, i) => log.append(`${prefix}gc-${i}`, [ev('A', i)])));
      assert.equal(log.stats.batches - before.batches, 1);
      assert.equal(log.stats.appended - before.appended, 40);
      assert.ok(log.stats.largestBatch >= 40);
    } finally {
      await log.close();
    }
  });

  it('delivers an event whose transaction commits late, after the ones that committed first, to readAll and a live subscriber', async () => {
    const log = new PostgresEventLog(url, { pollIntervalMs: 20, settleMs: 200 });
    const held = new pg.Client({ connectionString: url });
    await held.connect();
    const prefix = uniquePrefix();
    try {
      const start = await log.append(`${prefix}first`, [ev('E', 0)]);
      const sub = log.subscribe({ fromPosition: start.position, filter: { streamPrefixes: [prefix] } });
      const reading = take(sub, 3);
      // A writer on another connection takes its transaction id (and so its positions) first,
      // then stays open while a later transaction commits.
      await held.query('BEGIN');
      const payload = JSON.stringify([
        {
          stream: `${prefix}late`,
          expected: 'any',
          events: [{ type: 'E', data: '{"n":1}', metadata: '{"schema":1}' }],
        },
      ]);
      const lateRow = (await held.query('SELECT last_position FROM mailtrail_append($1::json)', [payload])).rows[0] as {
        last_position: string;
      };
      const early = await log.append(`${prefix}early`, [ev('E', 2)]);
      assert.ok(BigInt(lateRow.last_position) < early.position, 'the open transaction holds the lower position');
      // While it is open, neither readAll nor the subscription may pass it.
      const meanwhile = await toArray(
        log.readAll({ fromPosition: start.position, filter: { streamPrefixes: [prefix] } }),
      );
      assert.deepEqual(
        meanwhile.map((e) => e.data.n),
        [0],
      );
      await held.query('COMMIT');
      const got = await reading;
      assert.deepEqual(
        got.map((e) => e.data.n),
        [0, 1, 2],
      );
      assertStrictlyIncreasing(got.map((e) => e.position));
      const all = await toArray(log.readAll({ fromPosition: start.position, filter: { streamPrefixes: [prefix] } }));
      assert.deepEqual(
        all.map((e) => e.data.n),
        [0, 1, 2],
      );
      await sub.close();
    } finally {
      await held.end();
      await log.close();
    }
  });

  it('loses and duplicates no event of many concurrent writers on several connections, seen by a live subscriber', async () => {
    const prefix = uniquePrefix();
    const writers = Array.from({ length: 4 }, () => new PostgresEventLog(url, { poolSize: 3 }));
    const reader = new PostgresEventLog(url, { pollIntervalMs: 10 });
    const marker = await reader.append(`${prefix}marker`, [ev('Marker', -1)]);
    const sub = reader.subscribe({ fromPosition: marker.position + 1n, filter: { streamPrefixes: [prefix] } });
    // Raw connections whose transactions stay open a while after writing, so commits come
    // out of position order while the logs keep committing.
    const slow = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        return client;
      }),
    );
    const perWriter = 30;
    const rounds = 5;
    const slowTransactions = 10;
    const total = writers.length * perWriter * rounds * 2 + slow.length * slowTransactions;
    try {
      const reading = take(sub, total, 60_000);
      const slowWriting = slow.map(async (client, c) => {
        for (let t = 0; t < slowTransactions; t++) {
          const payload = JSON.stringify([
            { stream: `${prefix}slow${c}`, expected: 'any', events: [{ type: 'E', data: '{}', metadata: '{}' }] },
          ]);
          await client.query('BEGIN');
          await client.query('SELECT * FROM mailtrail_append($1::json)', [payload]);
          await client.query('SELECT pg_sleep($1)', [0.02 + 0.03 * ((t * 7 + c * 3) % 5)]);
          await client.query('COMMIT');
        }
      });
      await Promise.all([
        ...slowWriting,
        ...writers.map(async (log, w) => {
          for (let round = 0; round < rounds; round++) {
            await Promise.all(
              Array.from({ length: perWriter }, (_, i) =>
                log.append(`${prefix}w${w}-${i}`, [ev('E', round * 2), ev('E', round * 2 + 1)], {
                  expectedRevision: round === 0 ? 'no_stream' : BigInt(round * 2 - 1),
                }),
              ),
            );
          }
        }),
      ]);
      const got: RecordedEvent[] = await reading;
      assertStrictlyIncreasing(got.map((e) => e.position));
      const keys = got.map((e) => `${e.stream}#${e.revision}`);
      assert.equal(new Set(keys).size, total, 'no duplicate');
      for (let w = 0; w < writers.length; w++) {
        for (let i = 0; i < perWriter; i++) {
          const revisions = got.filter((e) => e.stream === `${prefix}w${w}-${i}`).map((e) => e.revision);
          assert.deepEqual(
            revisions,
            Array.from({ length: rounds * 2 }, (_, r) => BigInt(r)),
          );
        }
      }
      for (let c = 0; c < slow.length; c++) {
        const revisions = got.filter((e) => e.stream === `${prefix}slow${c}`).map((e) => e.revision);
        assert.deepEqual(
          revisions,
          Array.from({ length: slowTransactions }, (_, r) => BigInt(r)),
        );
      }
      const replay = await toArray(
        reader.readAll({ fromPosition: got[0]!.position, filter: { streamPrefixes: [prefix] } }),
      );
      assert.deepEqual(
        replay.map((e) => e.position),
        got.map((e) => e.position),
      );
    } finally {
      await sub.close();
      await Promise.all(slow.map((client) => client.end()));
      await Promise.all([...writers, reader].map((log) => log.close()));
    }
  });

  it('rejects a conflicting append from another node with ExpectedRevisionConflictError', async () => {
    const a = new PostgresEventLog(url);
    const b = new PostgresEventLog(url);
    const stream = `${uniquePrefix()}shared`;
    try {
      const first = await a.append(stream, [ev('A', 0)], { expectedRevision: 'no_stream' });
      const settled = await Promise.allSettled([
        a.append(stream, [ev('B', 1)], { expectedRevision: first.nextExpectedRevision }),
        b.append(stream, [ev('C', 2)], { expectedRevision: first.nextExpectedRevision }),
      ]);
      assert.deepEqual(settled.map((s) => s.status).sort(), ['fulfilled', 'rejected']);
      const lost = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')!;
      assert.ok(lost.reason instanceof ExpectedRevisionConflictError);
      assert.equal(lost.reason.actual, 1n);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('postgres event log node-name lock', () => {
  it('lets daemons of different node names share a database, and refuses a second one of the same name until the first closes', async () => {
    const lockUrl = await server.createDatabase('nodelock');
    const first = new PostgresEventLog(lockUrl, { node: 'mx1', applicationName: 'mailtrail mx1' });
    const other = new PostgresEventLog(lockUrl, { node: 'mx2', applicationName: 'mailtrail mx2' });
    const second = new PostgresEventLog(lockUrl, { node: 'mx1', applicationName: 'mailtrail mx1-again' });
    try {
      await first.append('lock-1', [ev('A', 0)]);
      // Another node name: shares the database.
      await other.append('lock-2', [ev('A', 0)]);
      await assert.rejects(second.ready(), (err: unknown) => {
        assert.ok(err instanceof EventLogLockedError, String(err));
        assert.match(err.message, /named "mx1" \(mailtrail mx1 from the local socket/);
        return true;
      });
      await assert.rejects(second.append('lock-1', [ev('B', 1)]), EventLogLockedError);
      // Readers that do not ask for the lock are not affected.
      const reader = new PostgresEventLog(lockUrl);
      assert.equal((await toArray(reader.readStream('lock-1'))).length, 1);
      await reader.close();
      await first.close();
      const next = await second.append('lock-1', [ev('B', 1)], { expectedRevision: 0n });
      assert.equal(next.nextExpectedRevision, 1n);
    } finally {
      await Promise.all([first.close(), second.close(), other.close()]);
    }
  });
});

describe('postgres event log without its server', () => {
  it('rejects appends with EventLogWriteError 451 4.3.0 while the server is down, and appends again once it is back', async () => {
    const own = await startPostgres();
    const log = new PostgresEventLog(await own.createDatabase('down'), { connectTimeoutMs: 2000 });
    try {
      await log.append('down-1', [ev('A', 0)]);
      await own.kill();
      await assert.rejects(log.append('down-1', [ev('B', 1)]), (err: unknown) => {
        assert.ok(err instanceof EventLogWriteError, String(err));
        assert.equal(err.smtpCode, 451);
        assert.equal(err.enhancedStatus, '4.3.0');
        assert.doesNotMatch(err.message, /password/);
        return true;
      });
      await own.restart();
      const again = await log.append('down-1', [ev('C', 2)], { expectedRevision: 0n });
      assert.equal(again.nextExpectedRevision, 1n);
    } finally {
      await log.close();
      await own.stop();
    }
  });
});

describe('postgres event log target', () => {
  it('names the server, database and socket in messages, never the password', () => {
    assert.equal(
      describeTarget('postgresql://mail:s3cret@db.example.test:5433/mt?sslmode=require'),
      'postgres://mail@db.example.test:5433/mt',
    );
    assert.equal(
      describeTarget('postgresql://mail@/mt?host=%2Frun%2Fpostgresql'),
      'postgres://mail@/mt (socket /run/postgresql)',
    );
    assert.equal(describeTarget('postgres://mail:s3cret@/mt'), 'postgres://mail@/mt');
    assert.equal(describeTarget('not a url'), 'postgres (unparsable connection string)');
  });
});
