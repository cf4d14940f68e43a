/** The queue never has more delivery attempts in flight than queue.concurrency allows. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryRequest, RecipientResult, Relay } from '../../src/relay/relay.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';

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
