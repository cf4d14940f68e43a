/**
 * The queue never has more delivery attempts in flight than queue.concurrency allows, and a slot
 * is held while the relays run, not while their outcomes wait for a commit.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { inlineProjections } from '../../src/readmodel/inlineProjections.js';
import type { DeliveryRequest, RecipientResult, Relay } from '../../src/relay/relay.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { gatedLog } from '../support/gatedLog.js';
import { waitUntil } from '../support/waitUntil.js';

let h: Harness | undefined;
after(async () => h?.close());

/** Delivers nowhere, slowly, counting how many deliveries overlap. */
class SlowCountingRelay implements Relay {
  readonly name = 'slow-counting';
  inFlight = 0;
  most = 0;
  async deliver(req: DeliveryRequest): Promise<RecipientResult[]> {
    this.inFlight += 1;
    this.most = Math.max(this.most, this.inFlight);
    await new Promise((r) => setTimeout(r, 60));
    this.inFlight -= 1;
    return req.recipients.map((recipient) => ({ recipient, outcome: 'delivered', status: '2.0.0', reply: 'ok' }));
  }
}

describe('attempt concurrency', () => {
  it('runs at most `concurrency` attempts at once', async () => {
    const relay = new SlowCountingRelay();
    h = await makeHarness({ relay, queue: { concurrency: 2 } });
    const ids = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        h!.queue.enqueue({
          envelope: { sender: 'a@remote.test', recipients: [`u${i}@example.test`] },
          body: [sampleBody()],
        }),
      ),
    );
    for (const id of ids) assert.equal(await h.waitFor(id, ['delivered']), 'delivered');
    assert.equal(relay.most, 2);
  });
});

/** Counts deliveries per recipient; never slow. */
class CountingRelay implements Relay {
  readonly name = 'counting';
  readonly calls: string[] = [];
  async deliver(req: DeliveryRequest): Promise<RecipientResult[]> {
    this.calls.push(...req.recipients);
    return req.recipients.map((recipient) => ({ recipient, outcome: 'delivered', status: '2.0.0', reply: 'ok' }));
  }
}

describe('attempt slots and the outcome commit', () => {
  it('gives the slot back when the relay is done, before the outcome is durable, and never attempts that message again meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-slots-'));
    // The queue's own log (a real sqlite log) holds every outcome append until the gate opens.
    const real = new SqliteEventLog(join(dir, 'events.sqlite'), { projections: [...inlineProjections] });
    const gated = gatedLog(real, (events) => events.some((e) => e.type === 'DeliverySucceeded'));
    const relay = new CountingRelay();
    const q = await makeHarness({ relay, dir, queue: { concurrency: 1, log: gated.log } });
    try {
      const ids = [];
      for (const i of [1, 2, 3])
        ids.push(
          await q.queue.enqueue({
            envelope: { sender: 'a@remote.test', recipients: [`u${i}@example.test`] },
            body: [sampleBody()],
          }),
        );
      // One slot: all three are relayed although no outcome could be committed yet.
      await waitUntil(() => relay.calls.length === 3 && gated.held === 3, {
        what: 'three relay calls, three outcomes held',
      });
      for (const id of ids) assert.equal(q.stateOf(id), 'relay-attempted');
      gated.open();
      for (const id of ids) assert.equal(await q.waitFor(id, ['delivered']), 'delivered');
      assert.deepEqual(relay.calls.sort(), ['u1@example.test', 'u2@example.test', 'u3@example.test']);
    } finally {
      gated.open();
      await q.close();
      await real.close();
    }
  });
});
