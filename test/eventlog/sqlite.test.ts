/**
 * Runs the event-log contract against SqliteEventLog, then its own guarantees:
 * group commit (one transaction per tick, visible in stats), projection rows rolled back
 * with their append, a failed COMMIT rejecting the whole batch, readonly openers (same
 * process, live via polling, missing WAL files), close() flushing, retention, and
 * durability: a child process SIGKILLed right after printing "committed" lost nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventLogClosedError, ExpectedRevisionConflictError, type EventLog } from '../../src/eventlog/eventLog.js';
import { SqliteEventLog, type SqliteEventLogOptions, type SqliteProjection } from '../../src/eventlog/sqlite/index.js';
import {
  EventLogOpenError,
  EventLogReadonlyError,
  EventLogWriteError,
} from '../../src/eventlog/sqlite/sqliteErrors.js';
import { toArray } from './contractHelpers.js';
import { countingProjection } from './fixtures/countingProjection.js';
import { eventLogContract } from './eventLog.contract.js';

const tempDirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-sqlite-'));
  tempDirs.push(dir);
  return join(dir, 'events.sqlite');
}
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const ev = (type: string, n = 0) => ({ type, data: { n } });

function sqliteSubject(options: SqliteEventLogOptions = {}) {
  return async () => {
    const path = tempDb();
    const logs: EventLog[] = [new SqliteEventLog(path, options)];
    return {
      log: logs[0]!,
      async reopen() {
        const log = new SqliteEventLog(path, options);
        logs.push(log);
        return log;
      },
      async cleanup() {
        await Promise.all(logs.map((log) => log.close()));
      },
    };
  };
}

eventLogContract('sqlite', sqliteSubject());
eventLogContract('sqlite (writer thread)', sqliteSubject({ writer: 'thread' }));
// Tiny pages, so every read and subscription crosses page boundaries.
eventLogContract('sqlite (2-row pages)', sqliteSubject({ pageSize: 2 }));

function counts(log: SqliteEventLog): Record<string, number> {
  const rows = log.database.prepare('SELECT stream, n FROM counts ORDER BY stream').all() as {
    stream: string;
    n: bigint;
  }[];
  return Object.fromEntries(rows.map((r) => [r.stream, Number(r.n)]));
}

for (const writer of ['thread', 'loop'] as const)
  describe(`sqlite event log (writer: ${writer})`, () => {
    let log: SqliteEventLog;
    let path: string;
    before(() => {
      path = tempDb();
      log = new SqliteEventLog(path, { projections: [countingProjection], writer });
    });
    after(() => log.close());

    if (writer === 'loop') {
      it('commits the appends of one tick in one transaction', async () => {
        const before = { ...log.stats };
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => log.append(`gc-${i}`, [ev('A', i)])));
        assert.equal(results.length, 40);
        assert.equal(log.stats.commits - before.commits, 1);
        assert.equal(log.stats.batches - before.batches, 1);
        assert.equal(log.stats.appended - before.appended, 40);
        assert.ok(log.stats.largestBatch >= 40);
        await Promise.all([log.append('gc-0', [ev('B')]), log.append('gc-1', [ev('B')])]);
        await log.append('gc-2', [ev('B')]);
        assert.equal(log.stats.commits - before.commits, 3);
      });
    } else {
      it('commits in the writer thread, many appends per transaction, and counts them', async () => {
        const before = { ...log.stats };
        const results = await Promise.all(Array.from({ length: 400 }, (_, i) => log.append(`gc-${i}`, [ev('A', i)])));
        assert.deepEqual(
          results.map((r) => r.nextExpectedRevision),
          results.map(() => 0n),
        );
        assert.equal(log.stats.appended - before.appended, 400);
        assert.ok(
          log.stats.commits - before.commits < 400,
          `400 appends posted at once took ${log.stats.commits - before.commits} commits`,
        );
        assert.equal(counts(log)['gc-399'], 1, 'the projection ran in the thread, in the same transaction');
      });

      it('refuses a projection the thread cannot import, naming it', () => {
        const local: SqliteProjection = { name: 'nomodule', setup() {}, apply() {} };
        assert.throws(
          () => new SqliteEventLog(tempDb(), { projections: [local], writer: 'thread' }),
          /projection nomodule has no module URL/,
        );
      });
    }

    it('rolls back the projection rows of a conflicting or failing append, and only those', async () => {
      await log.append('proj-a', [ev('A')]);
      const settled = await Promise.allSettled([
        log.append('proj-a', [ev('B'), ev('C')], { expectedRevision: 'no_stream' }),
        log.append('proj-b', [ev('A'), ev('B')]),
        log.append('proj-c', [ev('A'), ev('Poison')]),
        log.append('proj-a', [ev('D')], { expectedRevision: 0n }),
      ]);
      assert.deepEqual(
        settled.map((s) => s.status),
        ['rejected', 'fulfilled', 'rejected', 'fulfilled'],
      );
      assert.ok((settled[0] as PromiseRejectedResult).reason instanceof ExpectedRevisionConflictError);
      assert.match(String((settled[2] as PromiseRejectedResult).reason), /refuses Poison/);
      const c = counts(log);
      assert.equal(c['proj-a'], 2);
      assert.equal(c['proj-b'], 2);
      assert.equal(c['proj-c'], undefined);
      assert.deepEqual(await toArray(log.readStream('proj-c')), []);
    });

    it('rejects every append of a batch whose COMMIT fails, and writes none of them', async () => {
      const before = { ...log.stats };
      const streams = ['fail-a', 'fail-b', 'fail-c'];
      const settled = await Promise.allSettled(
        streams.map((stream) => log.append(stream, [ev(stream === 'fail-b' ? 'Orphaned' : 'A')])),
      );
      // On the loop the three share one transaction. The writer thread may commit fail-a or
      // fail-c in a batch of their own, before or after; the batch holding fail-b fails whole.
      if (writer === 'loop')
        assert.deepEqual(
          settled.map((s) => s.status),
          ['rejected', 'rejected', 'rejected'],
        );
      assert.equal(settled[1]!.status, 'rejected');
      assert.ok(log.stats.failedBatches > before.failedBatches);
      for (const [i, s] of settled.entries()) {
        const written = await toArray(log.readStream(streams[i]!));
        if (s.status === 'rejected') {
          assert.ok(s.reason instanceof EventLogWriteError, String(s.reason));
          assert.deepEqual(written, [], `${streams[i]} was rejected and wrote nothing`);
          assert.equal(counts(log)[streams[i]!], undefined);
        } else {
          assert.equal(written.length, 1);
        }
      }
      if (writer === 'loop') assert.equal(log.stats.commits, before.commits);
      const ok = await log.append('fail-b', [ev('A')], { expectedRevision: 'no_stream' });
      assert.equal(ok.nextExpectedRevision, 0n);
    });

    it('lets a readonly opener read what the writer committed, and refuses its appends', async () => {
      const written = await log.append('ro-1', [ev('A'), ev('B')]);
      const reader = new SqliteEventLog(path, { readonly: true, pollIntervalMs: 50 });
      try {
        const events = await toArray(reader.readStream('ro-1'));
        assert.deepEqual(
          events.map((e) => e.type),
          ['A', 'B'],
        );
        await assert.rejects(reader.append('ro-1', [ev('C')]), EventLogReadonlyError);
        // Live across connections: the reader's subscription polls.
        const sub = reader.subscribe({ fromPosition: written.position, filter: { streamPrefixes: ['ro-'] } });
        const iterator = sub[Symbol.asyncIterator]();
        assert.equal((await iterator.next()).value?.type, 'B');
        const pending = iterator.next();
        await log.append('ro-2', [ev('Later')]);
        const live = await pending;
        assert.equal(live.value?.stream, 'ro-2');
        await sub.close();
      } finally {
        await reader.close();
      }
    });

    it('flushes appends still queued when close() is called', async () => {
      const p = tempDb();
      const first = new SqliteEventLog(p, { writer });
      const pending = first.append('flush-1', [ev('A')]);
      await first.close();
      assert.equal((await pending).nextExpectedRevision, 0n);
      await assert.rejects(first.append('flush-1', [ev('B')]), EventLogClosedError);
      const again = new SqliteEventLog(p, { readonly: true });
      assert.equal((await toArray(again.readStream('flush-1'))).length, 1);
      await again.close();
    });

    it('deletes streams whose last append is older than the cut-off', async () => {
      await log.append('session-old', [ev('A')]);
      await log.append('session-new', [ev('A')]);
      const cutoff = new Date(Date.now() + 60_000).toISOString();
      await log.append('other-old', [ev('A')]);
      assert.equal(await log.deleteStreamsBefore('session-', cutoff), 2);
      assert.deepEqual(await toArray(log.readStream('session-old')), []);
      assert.equal((await toArray(log.readStream('other-old'))).length, 1);
      assert.equal(await log.deleteStreamsBefore('session-', new Date(0).toISOString()), 0);
    });
  });

describe('sqlite event log file modes', () => {
  it('creates events.sqlite, -wal and -shm 0600 whatever the umask', async () => {
    const path = tempDb();
    const previous = process.umask(0o022);
    try {
      const log = new SqliteEventLog(path);
      await log.append('s-1', [ev('A')]);
      for (const f of [path, `${path}-wal`, `${path}-shm`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
      await log.close();
    } finally {
      process.umask(previous);
    }
  });

  it('takes group and other access away from a log an earlier version made 0644', async () => {
    const path = tempDb();
    const first = new SqliteEventLog(path);
    await first.append('s-1', [ev('A')]);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) chmodSync(f, 0o644);
    const second = new SqliteEventLog(path);
    for (const f of [path, `${path}-wal`, `${path}-shm`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    await second.close();
    await first.close();
  });
});

describe('sqlite event log opened readonly', () => {
  it('fails with EventLogOpenError when the file does not exist', () => {
    assert.throws(
      () => new SqliteEventLog(join(tmpdir(), 'mailtrail-no-such-dir', 'x.sqlite'), { readonly: true }),
      EventLogOpenError,
    );
  });

  it('reads a file whose WAL files do not exist; any -wal/-shm it creates belong to the file owner', async () => {
    const p = tempDb();
    const writer = new SqliteEventLog(p);
    await writer.append('nowal', [ev('A')]);
    await writer.close();
    assert.equal(existsSync(`${p}-wal`), false, 'a clean close removes the WAL');
    // As root, make the file belong to someone else, as the daemon's file would.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chownSync(p, 65534, 65534);
    const reader = new SqliteEventLog(p, { readonly: true });
    try {
      assert.equal((await toArray(reader.readStream('nowal'))).length, 1);
      const owner = statSync(p);
      for (const suffix of ['-wal', '-shm']) {
        if (!existsSync(p + suffix)) continue;
        const s = statSync(p + suffix);
        assert.deepEqual([s.uid, s.gid], [owner.uid, owner.gid], `${suffix} owned like the database`);
      }
    } finally {
      await reader.close();
    }
    if (asRoot) chownSync(p, 0, 0);
    const writerAgain = new SqliteEventLog(p);
    await writerAgain.append('nowal', [ev('B')], { expectedRevision: 0n });
    await writerAgain.close();
  });
});

describe('sqlite event log durability', () => {
  it('keeps every append a SIGKILLed process had seen resolve', async () => {
    const p = tempDb();
    const fixture = fileURLToPath(new URL('./fixtures/appendUntilKilled.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, p], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const reported = new Map<string, bigint>();
    let lines = 0;
    for await (const line of createInterface({ input: child.stdout! })) {
      const [, stream, revision] = line.split(' ');
      reported.set(stream!, BigInt(revision!));
      if (++lines === 200) {
        child.kill('SIGKILL');
        break;
      }
    }
    assert.equal(await exited, 'SIGKILL');
    assert.ok(reported.size > 0);
    const reopened = new SqliteEventLog(p);
    try {
      for (const [stream, revision] of reported) {
        const events = await toArray(reopened.readStream(stream));
        assert.ok(
          events.length >= Number(revision) + 1,
          `${stream}: reported revision ${revision}, found ${events.length} events`,
        );
        assert.deepEqual(
          events.map((e) => e.revision),
          events.map((_, i) => BigInt(i)),
        );
      }
    } finally {
      await reopened.close();
    }
  });
});
