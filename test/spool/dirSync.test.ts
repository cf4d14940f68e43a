/**
 * DirSync's batching, with an injected fsync whose completion the test controls:
 * a caller never rides an fsync that started before its call, callers arriving meanwhile
 * share the next one, and a failure rejects exactly the callers of that batch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DirSync } from '../../src/spool/dirSync.js';

function controlledFsync() {
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const fsync = () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
  return { fsync, pending };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('DirSync', () => {
  it('makes callers that arrive during an fsync wait for one following fsync together', async () => {
    const { fsync, pending } = controlledFsync();
    const ds = new DirSync('/unused', fsync);
    const done: string[] = [];
    const first = ds.sync().then(() => done.push('first'));
    await tick();
    assert.equal(pending.length, 1);
    const later = [1, 2, 3].map((i) => ds.sync().then(() => done.push(`later${i}`)));
    await tick();
    assert.equal(pending.length, 1, 'no second fsync while the first is in flight');
    pending[0]!.resolve();
    await first;
    await tick();
    assert.deepEqual(done, ['first'], 'later callers are not released by the earlier fsync');
    assert.equal(pending.length, 2);
    pending[1]!.resolve();
    await Promise.all(later);
    assert.deepEqual(done, ['first', 'later1', 'later2', 'later3']);
    assert.equal(ds.syncCount, 2);
    assert.equal(ds.requestCount, 4);
  });

  it('rejects the callers of a failed fsync only, and tries again for the next batch', async () => {
    const { fsync, pending } = controlledFsync();
    const ds = new DirSync('/unused', fsync);
    const a = ds.sync();
    await tick();
    const b = ds.sync();
    pending[0]!.reject(new Error('EIO'));
    await assert.rejects(a, /EIO/);
    await tick();
    pending[1]!.resolve();
    await b;
    assert.equal(ds.syncCount, 2);
  });

  it('fsyncs a real directory', async () => {
    const ds = new DirSync(process.cwd());
    await Promise.all([ds.sync(), ds.sync(), ds.sync()]);
    assert.ok(ds.syncCount >= 1 && ds.syncCount <= 2);
  });
});
