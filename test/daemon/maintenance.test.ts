/**
 * Housekeeping: once queue.bodyRetention has passed since a message became final its body is
 * removed from the spool (its history stays); live messages keep theirs; session and probe
 * streams older than queue.sessionRetention are deleted, message streams never.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runMaintenance } from '../../src/daemon/maintenance.js';
import { sqliteRetention } from '../../src/daemon/sqliteRetention.js';
import { loadHistory } from '../../src/replay/history.js';
import { silentLogger } from '../../src/logging/logger.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';

let h: Harness | undefined;
after(async () => h?.close());
const DAY = 86_400_000;

describe('maintenance', () => {
  it('removes final bodies after their retention and old session streams', async () => {
    h = await makeHarness();
    const done = await h.queue.enqueue({
      envelope: { sender: 'a@remote.test', recipients: ['bob@example.test'] },
      body: [sampleBody()],
    });
    await h.waitFor(done, ['delivered']);
    const waiting = await h.queue.enqueue({
      envelope: { sender: 'a@remote.test', recipients: ['x@elsewhere.test'] },
      body: [sampleBody()],
    });
    await h.waitFor(waiting, ['deferred']);
    await h.log.append('session-OLD', [{ type: 'SessionConnected', data: { at: 'x' }, metadata: {} }]);
    const base = {
      store: sqliteRetention(h.log),
      spool: h.spool,
      bodyRetention: 7 * DAY,
      sessionRetention: 30 * DAY,
      logger: silentLogger,
    };

    const soon = await runMaintenance({ ...base, now: () => Date.now() + DAY });
    assert.deepEqual(soon, { bodies: 0, streams: 0 });
    assert.equal(await h.spool.exists(`bodies/${done}`), true);

    const later = await runMaintenance({ ...base, now: () => Date.now() + 31 * DAY });
    assert.deepEqual(later, { bodies: 1, streams: 1 });
    assert.equal(await h.spool.exists(`bodies/${done}`), false);
    assert.equal(await h.spool.exists(`bodies/${waiting}`), true, 'a live message keeps its body');
    assert.equal((await loadHistory(h.log, done))?.entries.at(-1)?.state, 'delivered', 'the history stays');
    assert.equal(await loadHistory(h.log, 'OLD'), undefined);
    assert.deepEqual(
      await runMaintenance({ ...base, now: () => Date.now() + 32 * DAY }),
      { bodies: 0, streams: 0 },
      'nothing twice',
    );
  });
});
