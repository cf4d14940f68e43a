/**
 * The queue on a fake clock (FakeScheduler, a fake of the Scheduler port): retries, expiry,
 * an attempt that waits for a delivery slot, and the operator's retry of a message whose
 * policies were deferred. Nothing waits on real time; the clock moves when the test says so.
 * Real parts otherwise: sqlite log, file spool, the native Maildir relay behind a gate.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadHistory } from '../../src/replay/history.js';
import type { PrequeuePolicy } from '../../src/policies/policy.js';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import type { DeliveryRequest, RecipientResult, Relay } from '../../src/relay/relay.js';
import { waitUntil } from '../cli/cliProcess.js';
import { FakeScheduler } from '../support/fakeScheduler.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';

const MIN = 60_000;
const harnesses: Harness[] = [];
after(async () => {
  for (const h of harnesses) await h.close();
});

/**
 * Recipients at busy@ are deferred (4.2.0) every time; a delivery to slow@ waits until the
 * test opens the gate; everything else goes to the real Maildir relay.
 */
class GatedRelay implements Relay {
  readonly name = 'gated';
  readonly calls: string[][] = [];
  private open!: () => void;
  readonly gate = new Promise<void>((r) => {
    this.open = r;
  });
  real?: Relay;
  async deliver(req: DeliveryRequest): Promise<RecipientResult[]> {
    this.calls.push([...req.recipients]);
    if (req.recipients.some((r) => r.startsWith('slow@'))) await this.gate;
    if (req.recipients.some((r) => r.startsWith('busy@'))) {
      return req.recipients.map((recipient) => ({
        recipient,
        outcome: 'transient',
        status: '4.2.0',
        reply: 'mailbox busy, try later',
      }));
    }
    return this.real!.deliver(req);
  }
  openGate(): void {
    this.open();
  }
  callsFor(address: string): number {
    return this.calls.filter((c) => c.includes(address)).length;
  }
}

async function gatedQueue(options: { concurrency?: number; maxLifetime?: number } = {}) {
  const clock = new FakeScheduler();
  const relay = new GatedRelay();
  const h = await makeHarness({
    relay,
    queue: {
      scheduler: clock,
      concurrency: options.concurrency ?? 20,
      retry: { minBackoff: MIN, maxBackoff: MIN, maxLifetime: options.maxLifetime ?? 86_400_000 },
    },
  });
  relay.real = new MaildirRelay({ root: h.mailRoot, hostname: 'mx.example.test' });
  harnesses.push(h);
  const send = (to: string) =>
    h.queue.enqueue({ envelope: { sender: 'alice@remote.test', recipients: [to] }, body: [sampleBody()] });
  const attemptsOf = (id: string) => h.queue.contextOf(id)?.attempts;
  const deferredAfter = (id: string, n: number) =>
    waitUntil(() => h.queue.stateOf(id) === 'deferred' && attemptsOf(id) === n, `${id} deferred after attempt ${n}`);
  return { h, clock, relay, send, attemptsOf, deferredAfter };
}

describe('the queue on a fake clock', () => {
  it('retries a deferred message when its clock reaches nextAttemptAt, not before', async () => {
    const { h, clock, relay, send, deferredAfter } = await gatedQueue();
    const id = await send('busy@example.test');
    await deferredAfter(id, 1);
    await h.queue.idle();
    clock.advance(MIN - 1);
    await h.queue.idle();
    assert.equal(relay.callsFor('busy@example.test'), 1, 'no attempt before nextAttemptAt');
    clock.advance(1);
    await deferredAfter(id, 2);
    const deferrals = (await loadHistory(h.log, id))?.entries.filter((e) => e.type === 'DeliveryDeferred') ?? [];
    assert.deepEqual(
      deferrals.map((e) => Date.parse(String(e.data.nextAttemptAt)) - Date.parse(e.at)),
      [MIN, MIN],
    );
  });

  it('expires a message that outlives maxLifetime with MessageExpired, and bounces it', async () => {
    const { h, clock, send, deferredAfter } = await gatedQueue({ maxLifetime: 150_000 });
    const id = await send('busy@example.test');
    await deferredAfter(id, 1);
    clock.advance(MIN);
    await deferredAfter(id, 2);
    clock.advance(MIN);
    await deferredAfter(id, 3);
    // The next attempt would be at 180 s; the lifetime ends at 150 s and the timer fires then.
    clock.advance(30_000);
    assert.equal(await h.waitFor(id, ['bounced']), 'bounced');
    const history = await loadHistory(h.log, id);
    assert.equal(history?.entries.at(-1)?.type, 'MessageExpired');
    assert.equal(history?.entries.filter((e) => e.type === 'RelayAttempted').length, 3);
  });

  it('an attempt that waited for a slot while its message was retried runs once, and the next waits for its time', async () => {
    const { h, clock, relay, send, attemptsOf, deferredAfter } = await gatedQueue({ concurrency: 1 });
    const a = await send('busy@example.test');
    await deferredAfter(a, 1);
    // b takes the only slot and keeps it until the gate opens.
    const b = await send('slow@example.test');
    await waitUntil(() => relay.callsFor('slow@example.test') === 1, 'b is being delivered');
    // a's retry falls due: it waits in line for the slot.
    clock.advance(MIN);
    await waitUntil(() => h.queue.attemptSlots.waiting.includes(a), 'a waits for the slot');
    // The operator retries a while it waits (deferred again, due now), and its timer fires again.
    await h.queue.retryNow(a, 'test');
    await waitUntil(() => h.queue.attemptSlots.waiting.includes(a), 'a waits for the slot again');
    assert.deepEqual(h.queue.attemptSlots, { inUse: 1, waiting: [a] }, 'one place in line for a');
    assert.equal(attemptsOf(a), 1, 'no attempt while b holds the slot');
    relay.openGate();
    assert.equal(await h.waitFor(b, ['delivered']), 'delivered');
    await deferredAfter(a, 2);
    await h.queue.idle();
    assert.equal(attemptsOf(a), 2, 'one attempt for the two wake-ups');
    assert.equal(relay.callsFor('busy@example.test'), 2);
    clock.advance(MIN);
    await deferredAfter(a, 3);
  });

  it('a message held while it waits for a slot is not attempted when the slot comes free', async () => {
    const { h, clock, relay, send, attemptsOf, deferredAfter } = await gatedQueue({ concurrency: 1 });
    const a = await send('busy@example.test');
    await deferredAfter(a, 1);
    const b = await send('slow@example.test');
    await waitUntil(() => relay.callsFor('slow@example.test') === 1, 'b is being delivered');
    clock.advance(MIN);
    await waitUntil(() => h.queue.attemptSlots.waiting.includes(a), 'a waits for the slot');
    assert.equal(await h.queue.hold(a, 'test'), 'held');
    relay.openGate();
    assert.equal(await h.waitFor(b, ['delivered']), 'delivered');
    await h.queue.idle();
    assert.equal(h.queue.stateOf(a), 'held');
    assert.equal(attemptsOf(a), 1);
    // The slot went back: a released message is attempted at once.
    assert.equal(await h.queue.release(a, 'test'), 'deferred');
    await deferredAfter(a, 2);
  });

  it('retry of a message whose policies were deferred records RetryRequested and runs them again', async () => {
    const { h, send } = await gatedQueue();
    let runs = 0;
    const flaky: PrequeuePolicy = {
      name: 'flaky',
      async apply() {
        runs += 1;
        if (runs === 1) throw new Error('policy server unreachable');
        return {};
      },
    };
    h.queue.addPrequeuePolicy(flaky);
    const id = await send('bob@example.test');
    await waitUntil(() => h.queue.contextOf(id)?.lastReason === 'policy server unreachable', 'policies deferred');
    assert.equal(h.queue.stateOf(id), 'received');
    assert.equal(await h.queue.retryNow(id, 'test'), 'received');
    assert.equal(await h.waitFor(id, ['delivered']), 'delivered');
    const types = (await loadHistory(h.log, id))?.entries.map((e) => e.type);
    assert.deepEqual(types?.slice(0, 4), ['MessageReceived', 'PoliciesDeferred', 'RetryRequested', 'PoliciesApplied']);
    assert.equal(runs, 2);
  });
});
