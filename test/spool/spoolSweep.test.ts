/**
 * The start-up sweep (quarantineUnknown) beside an edge that already accepts mail, on a real
 * temporary spool: once guardNewBodies() is armed, a body stored (or put back from quarantine)
 * before its MessageReceived is known is never moved, nor one whose store is under way when
 * the sweep lists bodies/; the real orphans are moved all the same. The guard ends with the
 * sweep. A sweep told to stop ends at its next batch, keeping what it moved; an error of the
 * log's look-up ends it and leaves the bodies it did not decide on where they are.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Spool } from '../../src/spool/index.js';
import { waitUntil } from '../support/waitUntil.js';

let parent: string;
let root: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'mailtrail-sweep-'));
  root = join(parent, 'spool');
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

const envelope = { sender: 'alice@remote.test', recipients: ['bob@example.test'], at: '2026-12-02T08:00:00.000Z' };

async function* body(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(`Subject: ${text}\r\n\r\n${text}\r\n`);
}

/** A spool holding `ids` as bodies of an earlier run (before the guard). */
async function spoolWith(ids: readonly string[]): Promise<Spool> {
  const spool = new Spool(root);
  for (const id of ids) await spool.store(id, body(id), { envelope });
  return spool;
}

describe('the spool sweep beside the edge', () => {
  it('never takes a body stored since the guard, before its message is known; moves the real orphans', async () => {
    const spool = await spoolWith(['known1', 'orphan1', 'orphan2']);
    spool.guardNewBodies();
    // Stored and fsynced; its MessageReceived is not committed yet: the log does not know it.
    await spool.store('fresh', body('fresh'), { envelope });
    const known = new Set(['known1']);
    assert.deepEqual(await spool.quarantineUnknown((id) => known.has(id)), ['orphan1', 'orphan2']);
    assert.deepEqual(await spool.list(), ['fresh', 'known1']);
    assert.deepEqual(await spool.listQuarantined(), ['orphan1', 'orphan2']);
    // The guard lasts one sweep: a later sweep would judge `fresh` by the log alone.
    assert.deepEqual(await spool.quarantineUnknown((id) => known.has(id)), ['fresh']);
  });

  it('skips a body whose store is under way when the sweep lists bodies/', async () => {
    const spool = await spoolWith(['orphan1']);
    spool.guardNewBodies();
    const source = new PassThrough();
    const storing = spool.store('slow', source, { envelope });
    source.write('Subject: slow\r\n\r\n');
    await waitUntil(() => existsSync(join(root, 'bodies', 'slow')), { what: 'the slow body on disk' });
    assert.deepEqual(await spool.quarantineUnknown(() => false), ['orphan1']);
    source.end('the rest\r\n');
    const stored = await storing;
    assert.equal(stored.ref, 'bodies/slow');
    assert.deepEqual(await spool.list(), ['slow']);
  });

  it('keeps in bodies/ a body put back from quarantine before its MessageReceived', async () => {
    const spool = await spoolWith(['back', 'orphan1']);
    assert.deepEqual(await spool.quarantineUnknown(() => false), ['back', 'orphan1']);
    spool.guardNewBodies();
    await spool.unquarantine('back'); // `mailtrail requeue --quarantined` through the daemon
    assert.deepEqual(await spool.quarantineUnknown(() => false), []);
    assert.deepEqual(await spool.list(), ['back']);
  });

  it('ends at the next batch when told to stop, keeping what it moved', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `o${String(i).padStart(2, '0')}`);
    const spool = await spoolWith(ids);
    let asked = 0;
    let stop = false;
    const moved = await spool.quarantineUnknown(
      () => {
        if (++asked === 10) stop = true;
        return false;
      },
      { batch: 10, stop: () => stop },
    );
    assert.equal(moved.length, 10);
    assert.equal((await spool.list()).length, 15);
    assert.deepEqual(await spool.listQuarantined(), moved);
  });

  it('ends on an error of the look-up and leaves the bodies it did not decide on', async () => {
    const ids = ['a1', 'a2', 'a3', 'a4'];
    const spool = await spoolWith(ids);
    let asked = 0;
    await assert.rejects(
      spool.quarantineUnknown(() => {
        if (++asked === 3) throw new Error('the log is closed');
        return false;
      }),
      /the log is closed/,
    );
    assert.equal((await spool.listQuarantined()).length, 2);
    assert.equal((await spool.list()).length, 2);
  });

  it('hasBodies reads no further than the first body', async () => {
    const spool = new Spool(root);
    assert.equal(await spool.hasBodies(), false);
    await spool.store('one', body('one'));
    assert.equal(await spool.hasBodies(), true);
  });
});
