/**
 * Backoff that backs off (Postfix's qmgr schedule): after a failed attempt the next one waits
 * as long as the message has been queued, between minBackoff and maxBackoff. A manual retry
 * does not push the schedule out, and a policy that cannot run (spamd down: the real
 * SpamAssassin policy against a port nobody listens on) follows the same schedule as
 * delivery. The queue runs on an injected clock; the tests read nextAttemptAt from the events.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { loadHistory } from '../../src/cli/historyCommand.js';
import { SpamAssassin } from '../../src/policies/spamAssassin.js';
import { backoffDelay, retryDelay, type RetryPolicy } from '../../src/queue/backoff.js';
import { waitUntil } from '../cli/cliProcess.js';
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

/** A clock the test moves; starts at the real time. */
function testClock(): { now: () => number; advance(ms: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => { offset += ms; } };
}

/** [at, nextAttemptAt] of each event of this type, as delays in ms. */
async function delays(h: Harness, id: string, type: string): Promise<number[]> {
  const history = await loadHistory(h.log, id);
  return (history?.entries ?? []).filter((e) => e.type === type).map((e) => Date.parse(String(e.data.nextAttemptAt)) - Date.parse(e.at));
}

describe('the queue\'s retry schedule', () => {
  const harnesses: Harness[] = [];
  after(async () => { for (const h of harnesses) await h.close(); });

  it('manual retries do not double the next backoff', async () => {
    const clock = testClock();
    const h = await makeHarness({ queue: { now: clock.now, retry: policy } });
    harnesses.push(h);
    const id = await h.queue.enqueue({ envelope: { sender: 'alice@remote.test', recipients: ['carol@remote.test'] }, body: [sampleBody()] });
    await h.waitFor(id, ['deferred']);
    for (let n = 2; n <= 5; n += 1) {
      await h.queue.retryNow(id, 'test');
      await waitUntil(() => h.queue.contextOf(id)?.attempts === n && h.queue.stateOf(id) === 'deferred', `attempt ${n} deferred`);
    }
    // Before the fix each manual retry doubled it: 1, 2, 4, 8, 16 minutes.
    const got = await delays(h, id, 'DeliveryDeferred');
    assert.equal(got.length, 5);
    assert.ok(got.every((d) => Math.abs(d - MIN) < 5_000), `each deferral waits minBackoff: ${got.join(', ')} ms`);
    // The schedule follows the message's age: 25 minutes in, a failure waits 25 minutes.
    clock.advance(25 * MIN);
    await h.queue.retryNow(id, 'test');
    await waitUntil(() => h.queue.contextOf(id)?.attempts === 6 && h.queue.stateOf(id) === 'deferred', 'attempt 6 deferred');
    const last = (await delays(h, id, 'DeliveryDeferred')).at(-1)!;
    assert.ok(Math.abs(last - 25 * MIN) < 5_000, `the sixth deferral waits the message's age, not ${last} ms`);
  });

  it('a scheduled retry after a restart waits as long as the message is old', async () => {
    const clock = testClock();
    const h = await makeHarness({ queue: { now: clock.now, retry: policy } });
    harnesses.push(h);
    const id = await h.queue.enqueue({ envelope: { sender: 'alice@remote.test', recipients: ['carol@remote.test'] }, body: [sampleBody()] });
    await h.waitFor(id, ['deferred']);
    // Two hours later (a daemon that was down): the timer is due at once, the next wait is maxBackoff.
    await h.restart({ now: () => Date.now() + 2 * 3_600_000, retry: policy });
    await waitUntil(() => h.queue.contextOf(id)?.attempts === 2 && h.queue.stateOf(id) === 'deferred', 'attempt 2 deferred');
    const got = await delays(h, id, 'DeliveryDeferred');
    assert.equal(got.length, 2);
    // nextAttemptAt is computed as the attempt starts, `at` when its outcome is recorded: a few ms apart.
    assert.ok(Math.abs(got[0]! - MIN) < 5_000 && Math.abs(got[1]! - 3_600_000) < 5_000, `waits: ${got.join(', ')} ms`);
  });

  it('policies that cannot run (spamd down) back off on the same schedule', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const clock = testClock();
    const h = await makeHarness({ queue: { now: clock.now, retry: policy } });
    harnesses.push(h);
    h.queue.addPrequeuePolicy(new SpamAssassin({ host: '127.0.0.1', port, timeout: 2000 }));
    const id = await h.queue.enqueue({ envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test'] }, body: [sampleBody()] });
    // Each PoliciesDeferred re-enters `received`, whose entry task reads the clock once to arm
    // the timer: let it run before the clock moves on.
    const deferredOnce = async (previous: string | null | undefined): Promise<void> => {
      await waitUntil(() => (h.queue.contextOf(id)?.nextAttemptAt ?? null) !== (previous ?? null), 'a new PoliciesDeferred');
      await new Promise((r) => setTimeout(r, 50));
    };
    await deferredOnce(null);
    let age = 0;
    for (const minutes of [5, 40, 200]) {
      const previous = h.queue.contextOf(id)?.nextAttemptAt;
      clock.advance((minutes - age) * MIN);
      age = minutes;
      await h.queue.retryNow(id, 'test');
      await deferredOnce(previous);
    }
    const got = await delays(h, id, 'PoliciesDeferred');
    assert.equal(got.length, 4, `one PoliciesDeferred per run: ${got.join(', ')}`);
    // 5 and 40 minutes old: the wait is the age; 200 minutes old: maxBackoff. Before: 1 minute, forever.
    const expected = [MIN, 5 * MIN, 40 * MIN, 60 * MIN];
    got.forEach((d, i) => assert.ok(Math.abs(d - expected[i]!) < 5_000, `PoliciesDeferred #${i + 1} waits ${d} ms, expected about ${expected[i]} ms`));
    assert.equal(h.stateOf(id), 'received');
  });
});
