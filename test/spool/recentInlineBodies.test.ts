/**
 * RecentInlineBodies: the bodies committed lately are read from memory (the log's `bodies`
 * table is not asked), the oldest leave once the byte bound is passed, a removed body leaves
 * at once and a miss reads the store; through the spool with the real sqlite log, a body is
 * remembered only once its append committed (never readable before).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import type { InlineBodyStore } from '../../src/spool/inlineBodies.js';
import { RecentInlineBodies } from '../../src/spool/recentInlineBodies.js';
import { Spool } from '../../src/spool/index.js';

/** A store over a Map that counts its reads and removals. */
function countingStore(rows = new Map<string, Buffer>()) {
  const counts = { reads: 0, removes: 0 };
  const store: InlineBodyStore = {
    threshold: 1024,
    read: (id) => {
      counts.reads += 1;
      return rows.get(id);
    },
    remove: (id) => {
      counts.removes += 1;
      return rows.delete(id);
    },
  };
  return { store, counts, rows };
}

describe('RecentInlineBodies', () => {
  it('answers a remembered body from memory and a miss from the store', () => {
    const { store, counts, rows } = countingStore(new Map([['OLD', Buffer.from('old body')]]));
    const recent = new RecentInlineBodies(store);
    recent.remember('NEW', Buffer.from('new body'));
    assert.equal(recent.read('NEW')?.toString(), 'new body');
    assert.equal(counts.reads, 0);
    assert.equal(recent.read('OLD')?.toString(), 'old body');
    assert.equal(counts.reads, 1);
    assert.equal(recent.read('NONE'), undefined);
    assert.equal(recent.threshold, 1024);
    assert.equal(rows.size, 1);
  });

  it('drops the oldest bodies past its byte bound, and never keeps one larger than the bound', () => {
    const { store, counts } = countingStore();
    const recent = new RecentInlineBodies(store, 10);
    recent.remember('A', Buffer.alloc(4, 'a'));
    recent.remember('B', Buffer.alloc(4, 'b'));
    recent.remember('C', Buffer.alloc(4, 'c'));
    assert.deepEqual(recent.size, { bodies: 2, bytes: 8 });
    assert.equal(recent.read('A'), undefined, 'A left: read from the store, which lacks it');
    assert.equal(counts.reads, 1);
    assert.equal(recent.read('C')?.toString(), 'cccc');
    recent.remember('BIG', Buffer.alloc(11));
    assert.deepEqual(recent.size, { bodies: 2, bytes: 8 });
  });

  it('forgets a removed body at once and removes it from the store', () => {
    const { store, counts, rows } = countingStore(new Map([['A', Buffer.from('x')]]));
    const recent = new RecentInlineBodies(store);
    recent.remember('A', Buffer.from('x'));
    assert.equal(recent.remove('A'), true);
    assert.equal(counts.removes, 1);
    assert.equal(rows.has('A'), false);
    assert.equal(recent.read('A'), undefined);
    assert.deepEqual(recent.size, { bodies: 0, bytes: 0 });
  });

  it('through the spool and the sqlite log: remembered once committed, then read without the table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-recent-'));
    const log = new SqliteEventLog(join(dir, 'events.sqlite'));
    try {
      let tableReads = 0;
      const recent = new RecentInlineBodies({
        threshold: 1024,
        read: (id) => {
          tableReads += 1;
          return log.readBody(id);
        },
        remove: (id) => log.removeBody(id),
      });
      const spool = new Spool(join(dir, 'spool'), { inline: recent });
      const stored = await spool.store('Q1', [Buffer.from('Subject: hi\r\n\r\nbody\r\n')]);
      assert.equal(await spool.exists(stored.ref), false, 'not readable before its append commits');
      await log.append('message-Q1', [{ type: 'MessageReceived', data: { bodyRef: stored.ref } }], {
        bodies: [{ id: 'Q1', bytes: stored.inline! }],
      });
      spool.committedInline('Q1', stored.inline!);
      const before = tableReads;
      assert.equal(await text(spool.open(stored.ref, { lineEndings: 'lf' })), 'Subject: hi\n\nbody\n');
      assert.equal(tableReads, before, 'the first read came from memory');
      assert.equal(await spool.remove(stored.ref), true);
      assert.equal(await spool.exists(stored.ref), false);
      assert.equal(log.readBody('Q1'), undefined);
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
