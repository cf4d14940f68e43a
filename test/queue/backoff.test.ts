/**
 * Backoff that backs off (Postfix's qmgr schedule): after a failed attempt the next one waits
 * as long as the message has been queued, between minBackoff and maxBackoff. A manual retry
 * does not push the schedule out, and a policy that cannot run (spamd down: the real
 * SpamAssassin policy against a port nobody listens on) follows the same schedule as
 * delivery. The queue runs on a fake scheduler (FakeScheduler); the tests read nextAttemptAt
 * from the events.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { loadHistory } from '../../src/replay/history.js';
import { SpamAssassin } from '../../src/policies/spamAssassin.js';
import { backoffDelay, retryDelay, type RetryPolicy } from '../../src/queue/backoff.js';
import { waitUntil } from '../cli/cliProcess.js';
import { FakeScheduler } from '../support/fakeScheduler.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';

const MIN = 60_000;
const policy: RetryPolicy = { minBackoff: MIN, maxBackoff: 3_600_000, maxLifetime: 5 * 86_400_000 };

describe('retryDelay', () => {
  const t0 = Date.parse('2026-11-25T12:00:00Z');
  const at = new Date(t0).toISOString();
  it('is the message age, at least minBackoff and at most maxBackoff', () => {
    assert.equal(retryDelay(policy, at, t0), MIN);
    assert.equal(retryDelay(policy, at, t0 + 30_000), MIN);
    assert.equal(retryDelay(policy, at, t0 + 10 * MIN), 10 * MIN);
    assert.equal(retryDelay(policy, at, t0 + 5 * 3_600_000), 3_600_000);
  });
  it('doubles from one on-schedule attempt to the next, as backoffDelay says', () => {
    let now = t0;
    for (let attempt = 1; attempt <= 8; attempt += 1) {
      const delay = retryDelay(policy, at, now);
      assert.equal(delay, attempt === 1 ? MIN : backoffDelay(policy, attempt - 1), `after attempt ${attempt}`);
      now += delay;
    }
  });
});

/** [at, nextAttemptAt] of each event of this type, as delays in ms. */
async function delays(h: Harness, id: string, type: string): Promise<number[]> {
  const history = await loadHistory(h.log, id);
  return (history?.entries ?? [])
    .filter((e) => e.type === type)
    .map((e) => Date.parse(String(e.data.nextAttemptAt)) - Date.parse(e.at));
}

describe("the queue's retry schedule", () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.close();
  });

  it('manual retries do not double the next backoff', async () => {
    const clock = new FakeScheduler();
    const h = await makeHarness({ queue: { scheduler: clock, retry: policy } });
    harnesses.push(h);
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['carol@remote.test'] },
      body: [sampleBody()],
    });
    await h.waitFor(id, ['deferred']);
    for (let n = 2; n <= 5; n += 1) {
      await h.queue.retryNow(id, 'test');
      await waitUntil(
        () => h.queue.contextOf(id)?.attempts === n && h.queue.stateOf(id) === 'deferred',
        `attempt ${n} deferred`,
      );
    }
    // Before the fix each manual retry doubled it: 1, 2, 4, 8, 16 minutes.
    const got = await delays(h, id, 'DeliveryDeferred');
    assert.equal(got.length, 5);
    assert.deepEqual(got, [MIN, MIN, MIN, MIN, MIN], 'each deferral waits minBackoff');
    // The schedule follows the message's age: 25 minutes in, a failure waits 25 minutes.
    clock.advance(25 * MIN);
    await h.queue.retryNow(id, 'test');
    await waitUntil(
      () => h.queue.contextOf(id)?.attempts === 6 && h.queue.stateOf(id) === 'deferred',
      'attempt 6 deferred',
    );
    const last = (await delays(h, id, 'DeliveryDeferred')).at(-1)!;
    assert.equal(last, 25 * MIN, "the sixth deferral waits the message's age");
  });

  it('a scheduled retry after a restart waits as long as the message is old', async () => {
    const clock = new FakeScheduler();
    const h = await makeHarness({ queue: { scheduler: clock, retry: policy } });
    harnesses.push(h);
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['carol@remote.test'] },
      body: [sampleBody()],
    });
    await h.waitFor(id, ['deferred']);
    // Two hours later (a daemon that was down): the timer is due at once, the next wait is maxBackoff.
    await h.restart();
    clock.advance(2 * 3_600_000);
    await waitUntil(
      () => h.queue.contextOf(id)?.attempts === 2 && h.queue.stateOf(id) === 'deferred',
      'attempt 2 deferred',
    );
    assert.deepEqual(await delays(h, id, 'DeliveryDeferred'), [MIN, 3_600_000]);
  });

  it('policies that cannot run (spamd down) back off on the same schedule', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const clock = new FakeScheduler();
    const h = await makeHarness({ queue: { scheduler: clock, retry: policy } });
    harnesses.push(h);
    h.queue.addPrequeuePolicy(new SpamAssassin({ host: '127.0.0.1', port, timeout: 2000 }));
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test'] },
      body: [sampleBody()],
    });
    // Each PoliciesDeferred re-enters `received`, whose entry task reads the clock once to arm
    // the timer: let it run before the clock moves on.
    const deferredOnce = async (previous: string | null | undefined): Promise<void> => {
      await waitUntil(
        () => (h.queue.contextOf(id)?.nextAttemptAt ?? null) !== (previous ?? null),
        'a new PoliciesDeferred',
      );
      await h.queue.idle();
    };
    await deferredOnce(null);
    let age = 0;
    for (const minutes of [5, 40, 200]) {
      const previous = h.queue.contextOf(id)?.nextAttemptAt;
      // The clock reaches the deferred run's nextAttemptAt (and beyond): its timer runs the policies.
      clock.advance((minutes - age) * MIN);
      age = minutes;
      await deferredOnce(previous);
    }
    const got = await delays(h, id, 'PoliciesDeferred');
    assert.equal(got.length, 4, `one PoliciesDeferred per run: ${got.join(', ')}`);
    // 5 and 40 minutes old: the wait is the age; 200 minutes old: maxBackoff. Before: 1 minute, forever.
    const expected = [MIN, 5 * MIN, 40 * MIN, 60 * MIN];
    assert.deepEqual(got, expected);
    assert.equal(h.stateOf(id), 'received');
  });
});
