/**
 * A writer thread that dies while the log is open fails every append from then on: the log
 * tells its owner once (the daemon then stops with exit 75 and a restart replays), never
 * after close(), and an append made after the loss rejects with EventLogWriteError.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { SqliteEventLog } from '../../src/eventlog/sqlite/index.js';
import { EventLogWriteError } from '../../src/eventlog/sqlite/sqliteErrors.js';

const event = { type: 'Noted', data: { n: 1 } };

/** The log's writer thread (private: a test reaches in to end it as a crash would). */
const workerOf = (log: SqliteEventLog): Worker => (log as unknown as { thread: { worker: Worker } }).thread.worker;

describe('the sqlite writer thread, lost', () => {
  it('tells the owner once, and every later append fails with EventLogWriteError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-writerloss-'));
    const log = new SqliteEventLog(join(dir, 'events.sqlite'), { writer: 'thread' });
    try {
      const lost: Error[] = [];
      log.onWriterLost((err) => lost.push(err));
      await log.append('s-1', [event]);
      await workerOf(log).terminate();
      await new Promise((r) => setImmediate(r));
      assert.equal(lost.length, 1, 'told once');
      assert.ok(lost[0] instanceof EventLogWriteError, String(lost[0]));
      assert.match(lost[0].message, /writer thread exited/);
      await assert.rejects(log.append('s-2', [event]), EventLogWriteError);
      // A listener registered after the loss hears of it at once.
      const late: Error[] = [];
      log.onWriterLost((err) => late.push(err));
      assert.equal(late.length, 1);
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not a loss when the log is closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-writerloss-'));
    const log = new SqliteEventLog(join(dir, 'events.sqlite'), { writer: 'thread' });
    const lost: Error[] = [];
    log.onWriterLost((err) => lost.push(err));
    try {
      await log.append('s-1', [event]);
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(lost, []);
  });
});
