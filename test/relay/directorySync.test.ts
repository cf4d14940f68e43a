import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DirectorySync } from '../../src/relay/directorySync.js';

/** An fsync the test completes by hand, recording which directory each call synced. */
function heldFsync() {
  const calls: { dir: string; finish: (error?: Error) => void }[] = [];
  const fsync = (dir: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ dir, finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, fsync };
}

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('DirectorySync', () => {
  it('callers arriving while a sync runs share the one next sync, which starts only after it', async () => {
    const { calls, fsync } = heldFsync();
    const sync = new DirectorySync(fsync);
    const first = sync.sync('/m/new');
    assert.equal(calls.length, 1);
    const second = sync.sync('/m/new');
    const third = sync.sync('/m/new');
    assert.equal(calls.length, 1, 'no second sync while the first runs');
    calls[0]!.finish();
    await first;
    assert.equal(await settled(second), false, 'the first sync started before the second caller: it does not cover it');
    assert.equal(calls.length, 2, 'the next sync started once the first had finished');
    calls[1]!.finish();
    await Promise.all([second, third]);
    assert.equal(calls.length, 2, 'two syncs for three callers');
  });

  it('directories are synced independently, and a failed sync fails only its own callers', async () => {
    const { calls, fsync } = heldFsync();
    const sync = new DirectorySync(fsync);
    const a = sync.sync('/a/new');
    const b = sync.sync('/b/new');
    assert.deepEqual(
      calls.map((c) => c.dir),
      ['/a/new', '/b/new'],
    );
    const a2 = sync.sync('/a/new');
    calls[0]!.finish(Object.assign(new Error('EIO'), { code: 'EIO' }));
    await assert.rejects(a, /EIO/);
    await new Promise((r) => setImmediate(r));
    assert.equal(calls.length, 3, 'the queued sync of /a/new still runs');
    calls[2]!.finish();
    calls[1]!.finish();
    await Promise.all([a2, b]);
    // Nothing left running: the next caller starts a sync of its own at once.
    const a3 = sync.sync('/a/new');
    assert.equal(calls.length, 4);
    calls[3]!.finish();
    await a3;
  });

  it('syncs a real directory, and reports a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-dirsync-'));
    try {
      const sync = new DirectorySync();
      await Promise.all([sync.sync(dir), sync.sync(dir), sync.sync(dir)]);
      await assert.rejects(sync.sync(join(dir, 'missing')), { code: 'ENOENT' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
