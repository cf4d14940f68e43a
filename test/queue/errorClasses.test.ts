/**
 * The queue decides on error classes, through the real queue (sqlite log, spool, Maildir):
 * a relay that throws a PermanentError fails its recipients with the error's 5.x.x status
 * (bounced, DSN asked for), one that throws a TransientError defers them with its 4.x.x and
 * delivers on the retry, any other thrown error defers with 4.0.0. A prequeue policy that
 * throws a PermanentError bounces the message (PoliciesFailed, the policy's status); one that
 * throws a TransientError defers it (PoliciesDeferred) and it is delivered once the policy runs.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadHistory } from '../../src/replay/history.js';
import { PermanentError, TransientError } from '../../src/errors/mailtrailError.js';
import type { PolicyContext, PolicyEffect, PrequeuePolicy } from '../../src/policies/policy.js';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import type { DeliveryRequest, RecipientResult, Relay } from '../../src/relay/relay.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { waitUntil } from '../support/waitUntil.js';

const harnesses: Harness[] = [];
after(async () => {
  for (const h of harnesses) await h.close();
});

/** A relay that throws the scripted error on each call (until the script runs out), then delivers into the Maildir. */
class ThrowingRelay implements Relay {
  readonly name = 'throwing';
  calls = 0;
  private real: Relay | undefined;
  constructor(private readonly script: Error[]) {}
  deliverInto(root: string): void {
    this.real = new MaildirRelay({ root, hostname: 'mx.example.test' });
  }
  async deliver(req: DeliveryRequest): Promise<RecipientResult[]> {
    const err = this.script[this.calls++];
    if (err) throw err;
    return this.real!.deliver(req);
  }
}

/** A prequeue policy that throws the scripted error on each run, then adds a header. */
class ThrowingPolicy implements PrequeuePolicy {
  readonly name = 'throwingPolicy';
  runs = 0;
  constructor(private readonly script: Error[]) {}
  async apply(_ctx: PolicyContext): Promise<PolicyEffect> {
    const err = this.script[this.runs++];
    if (err) throw err;
    return { prependHeaders: ['X-Checked: yes'] };
  }
}

async function withRelay(relay: ThrowingRelay, bounced: string[] = []): Promise<Harness> {
  const h = await makeHarness({
    relay,
    queue: {
      onBounce: async (ctx) => {
        bounced.push(ctx.messageId);
      },
    },
  });
  relay.deliverInto(h.mailRoot);
  harnesses.push(h);
  return h;
}

const send = (h: Harness) =>
  h.queue.enqueue({
    envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test'] },
    body: [sampleBody()],
  });
const historyOf = async (h: Harness, id: string) => (await loadHistory(h.log, id))?.entries ?? [];

describe('a relay that throws', () => {
  it('a PermanentError fails the recipient with its 5.x.x status and the message bounces', async () => {
    const bounced: string[] = [];
    const h = await withRelay(new ThrowingRelay([new PermanentError('mailbox disabled', '5.2.1')]), bounced);
    const id = await send(h);
    assert.equal(await h.waitFor(id, ['delivered', 'bounced', 'deferred']), 'bounced');
    const failed = (await historyOf(h, id)).find((e) => e.type === 'DeliveryFailed');
    assert.equal(failed?.data.status, '5.2.1');
    assert.equal(failed?.data.reply, 'throwing: mailbox disabled');
    await waitUntil(() => bounced.includes(id), { what: 'the DSN to be asked for' });
  });

  it('a TransientError defers the recipient with its 4.x.x status, and the retry delivers', async () => {
    const relay = new ThrowingRelay([new TransientError('mailbox locked', '4.2.1')]);
    const h = await withRelay(relay);
    const id = await send(h);
    assert.equal(await h.waitFor(id, ['delivered', 'bounced']), 'delivered');
    const deferred = (await historyOf(h, id)).find((e) => e.type === 'DeliveryDeferred');
    assert.equal(deferred?.data.status, '4.2.1');
    assert.equal(relay.calls, 2);
  });

  it('any other error defers with 4.0.0, and the retry delivers', async () => {
    const h = await withRelay(new ThrowingRelay([new Error('socket hang up')]));
    const id = await send(h);
    assert.equal(await h.waitFor(id, ['delivered', 'bounced']), 'delivered');
    const deferred = (await historyOf(h, id)).find((e) => e.type === 'DeliveryDeferred');
    assert.deepEqual([deferred?.data.status, deferred?.data.reply], ['4.0.0', 'throwing: socket hang up']);
  });

  it('a PermanentError carrying a 4.x.x status still fails for good, with 5.0.0', async () => {
    const h = await withRelay(new ThrowingRelay([new PermanentError('confused', '4.2.0')]));
    const id = await send(h);
    assert.equal(await h.waitFor(id, ['delivered', 'bounced', 'deferred']), 'bounced');
    assert.equal((await historyOf(h, id)).find((e) => e.type === 'DeliveryFailed')?.data.status, '5.0.0');
  });
});

async function withPolicy(
  policy: PrequeuePolicy,
  where: 'prequeue' | 'relay',
  bounced: string[] = [],
): Promise<Harness> {
  const h = await makeHarness({
    queue: {
      onBounce: async (ctx) => {
        bounced.push(ctx.messageId);
      },
    },
  });
  harnesses.push(h);
  if (where === 'prequeue') h.queue.addPrequeuePolicy(policy);
  else h.queue.addRelayPolicy(policy);
  return h;
}

describe('a prequeue policy that throws', () => {
  it("a PermanentError bounces the message with the policy's status (PoliciesFailed), never deferred", async () => {
    const bounced: string[] = [];
    const policy = new ThrowingPolicy([new PermanentError('message content rejected', '5.7.1')]);
    const h = await withPolicy(policy, 'prequeue', bounced);
    const id = await send(h);
    assert.equal(await h.waitFor(id, ['delivered', 'bounced', 'policies-applied', 'deferred']), 'bounced');
    const entries = await historyOf(h, id);
    assert.deepEqual(
      entries.map((e) => e.type),
      ['MessageReceived', 'PoliciesFailed'],
    );
    assert.deepEqual(
      [entries[1]?.data.policy, entries[1]?.data.status, entries[1]?.data.reason],
      ['throwingPolicy', '5.7.1', 'message content rejected'],
    );
    assert.equal(policy.runs, 1);
    await waitUntil(() => bounced.includes(id), { what: 'the DSN to be asked for' });
  });

  it('a TransientError defers the message (PoliciesDeferred), and it is delivered once the policy runs', async () => {
    const policy = new ThrowingPolicy([new TransientError('spamd down', '4.3.0')]);
    const h = await withPolicy(policy, 'prequeue');
    const id = await send(h);
    assert.equal(await h.waitFor(id, ['delivered', 'bounced']), 'delivered');
    const types = (await historyOf(h, id)).map((e) => e.type);
    assert.deepEqual(types.slice(0, 3), ['MessageReceived', 'PoliciesDeferred', 'PoliciesApplied']);
  });
});

describe('a relay policy that throws', () => {
  it("a PermanentError fails the attempt's recipients with its status", async () => {
    const h = await withPolicy(new ThrowingPolicy([new PermanentError('no relaying this', '5.7.2')]), 'relay');
    const id = await send(h);
    assert.equal(await h.waitFor(id, ['delivered', 'bounced']), 'bounced');
    const failed = (await historyOf(h, id)).find((e) => e.type === 'DeliveryFailed');
    assert.deepEqual(
      [failed?.data.status, failed?.data.reply],
      ['5.7.2', 'relay policy throwingPolicy failed: no relaying this'],
    );
  });

  it('a TransientError defers them with its status, and the retry delivers', async () => {
    const h = await withPolicy(new ThrowingPolicy([new TransientError('try later', '4.7.1')]), 'relay');
    const id = await send(h);
    assert.equal(await h.waitFor(id, ['delivered', 'bounced']), 'delivered');
    assert.equal((await historyOf(h, id)).find((e) => e.type === 'DeliveryDeferred')?.data.status, '4.7.1');
  });
});
