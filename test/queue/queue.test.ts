/**
 * The queue end to end with real parts (sqlite log, file spool, native Maildir relay):
 * delivery with the header policies, per-recipient outcomes, retry after a transient failure,
 * bounce on a permanent one, operator commands, and recovery of deferred messages.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { DeliveryRequest, RecipientResult, Relay } from '../../src/relay/relay.js';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import { loadHistory } from '../../src/replay/history.js';
import { waitUntil } from '../cli/cliProcess.js';
import { FakeScheduler } from '../support/fakeScheduler.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';

const harnesses: Harness[] = [];
after(async () => {
  for (const h of harnesses) await h.close();
});
const harness = async (...a: Parameters<typeof makeHarness>) => {
  const h = await makeHarness(...a);
  harnesses.push(h);
  return h;
};

const maildirFiles = (root: string, addr: string) => {
  const [local, domain] = addr.split('@') as [string, string];
  const dir = join(root, domain, local, 'new');
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
};

/** A relay that fails on purpose: a scripted outcome per call, then delegates to the real Maildir relay. */
class ScriptedFailureRelay implements Relay {
  readonly name = 'scripted';
  calls = 0;
  constructor(
    private readonly script: RecipientResult['outcome'][],
    private readonly real: Relay,
  ) {}
  async deliver(req: DeliveryRequest): Promise<RecipientResult[]> {
    const outcome = this.script[this.calls++];
    if (!outcome || outcome === 'delivered') return this.real.deliver(req);
    return req.recipients.map((recipient) => ({
      recipient,
      outcome,
      status: outcome === 'transient' ? '4.2.0' : '5.1.1',
      reply: outcome === 'transient' ? 'mailbox busy, try later' : 'no such user here',
    }));
  }
}

describe('queue', () => {
  it('delivers to every recipient with Return-Path, Delivered-To and the policy headers', async () => {
    const h = await harness();
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test', 'carol@example.test'] },
      body: [sampleBody()],
      client: { ip: '192.0.2.7', helo: 'client.remote.test', protocol: 'ESMTP' },
    });
    assert.equal(await h.waitFor(id, ['delivered', 'bounced']), 'delivered');
    const [bob] = maildirFiles(h.mailRoot, 'bob@example.test');
    assert.ok(bob);
    assert.match(bob, /^Return-Path: <alice@remote\.test>\nDelivered-To: bob@example\.test\n/);
    assert.match(
      bob,
      /\nReceived: from client\.remote\.test \(unknown \[192\.0\.2\.7\]\)\n\tby mx\.example\.test \(mailtrail\) with ESMTP id /,
    );
    assert.doesNotMatch(bob, /\r\n/);
    const parsed = await simpleParser(bob);
    assert.equal(parsed.subject, 'hello');
    assert.ok(parsed.messageId, 'Message-Id added');
    assert.ok(parsed.date, 'Date added');
    assert.equal(maildirFiles(h.mailRoot, 'carol@example.test').length, 1);
    const history = await loadHistory(h.log, id);
    assert.deepEqual(
      history?.entries.map((e) => e.state),
      ['received', 'policies-applied', 'relay-attempted', 'relay-attempted', 'delivered'],
    );
  });

  it('defers on a transient failure and delivers on the retry', async () => {
    const h0 = await harness();
    const relay = new ScriptedFailureRelay(
      ['transient', 'delivered'],
      new MaildirRelay({ root: h0.mailRoot, hostname: 'mx.example.test' }),
    );
    const clock = new FakeScheduler();
    const h = await harness({
      relay,
      queue: { scheduler: clock, retry: { minBackoff: 60_000, maxBackoff: 60_000, maxLifetime: 600_000 } },
    });
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test'] },
      body: [sampleBody()],
    });
    assert.equal(await h.waitFor(id, ['deferred']), 'deferred');
    clock.advance(60_000);
    assert.equal(await h.waitFor(id, ['delivered', 'bounced']), 'delivered');
    const history = await loadHistory(h.log, id);
    assert.deepEqual(
      history?.entries.map((e) => e.type),
      [
        'MessageReceived',
        'PoliciesApplied',
        'RelayAttempted',
        'DeliveryDeferred',
        'RelayAttempted',
        'DeliverySucceeded',
      ],
    );
    assert.equal(history?.entries[3]?.data.status, '4.2.0');
    assert.equal(relay.calls, 2);
  });

  it('bounces on a permanent failure and asks for a DSN to the sender', async () => {
    const bounced: string[] = [];
    const h0 = await harness();
    const relay = new ScriptedFailureRelay(
      ['permanent'],
      new MaildirRelay({ root: h0.mailRoot, hostname: 'mx.example.test' }),
    );
    const h = await harness({
      relay,
      queue: {
        onBounce: async (ctx) => {
          bounced.push(ctx.messageId);
        },
      },
    });
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test'] },
      body: [sampleBody()],
    });
    assert.equal(await h.waitFor(id, ['delivered', 'bounced']), 'bounced');
    await h.queue.idle();
    assert.deepEqual(bounced, [id]);
  });

  it('never asks for a DSN for a message from the null sender', async () => {
    const bounced: string[] = [];
    const h0 = await harness();
    const relay = new ScriptedFailureRelay(
      ['permanent'],
      new MaildirRelay({ root: h0.mailRoot, hostname: 'mx.example.test' }),
    );
    const h = await harness({
      relay,
      queue: {
        onBounce: async (ctx) => {
          bounced.push(ctx.messageId);
        },
      },
    });
    const id = await h.queue.enqueue({
      envelope: { sender: '', recipients: ['bob@example.test'] },
      body: [sampleBody()],
    });
    assert.equal(await h.waitFor(id, ['bounced']), 'bounced');
    await h.queue.idle();
    assert.deepEqual(bounced, []);
  });

  it('defers recipients of domains it does not host instead of writing their Maildir', async () => {
    const h = await harness();
    const id = await h.queue.enqueue({
      envelope: { sender: '', recipients: ['someone@elsewhere.test'] },
      body: [sampleBody()],
    });
    assert.equal(await h.waitFor(id, ['deferred']), 'deferred');
    const history = await loadHistory(h.log, id);
    const deferred = history?.entries.find((e) => e.type === 'DeliveryDeferred');
    assert.match(String(deferred?.data.reply), /no outbound relay configured for elsewhere\.test/);
    assert.throws(() => readdirSync(join(h.mailRoot, 'elsewhere.test')));
  });

  it('recovers a deferred message after a restart and delivers it', async () => {
    const h0 = await harness();
    const relay = new ScriptedFailureRelay(
      ['transient', 'delivered'],
      new MaildirRelay({ root: h0.mailRoot, hostname: 'mx.example.test' }),
    );
    const clock = new FakeScheduler();
    const h = await harness({
      relay,
      queue: { scheduler: clock, retry: { minBackoff: 60_000, maxBackoff: 60_000, maxLifetime: 86_400_000 } },
    });
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test'] },
      body: [sampleBody()],
    });
    await h.waitFor(id, ['deferred']);
    // Down for an hour: the restarted queue arms the recovered timer, which is due at once.
    await h.restart();
    clock.advance(3_600_000);
    assert.equal(await h.waitFor(id, ['delivered']), 'delivered');
  });

  it('hold, release and delete are recorded as events', async () => {
    const h0 = await harness();
    const relay = new ScriptedFailureRelay(
      ['transient', 'transient', 'transient'],
      new MaildirRelay({ root: h0.mailRoot, hostname: 'mx.example.test' }),
    );
    const clock = new FakeScheduler();
    const h = await harness({
      relay,
      queue: { scheduler: clock, retry: { minBackoff: 60_000, maxBackoff: 60_000, maxLifetime: 600_000 } },
    });
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test'] },
      body: [sampleBody()],
    });
    await h.waitFor(id, ['deferred']);
    assert.equal(await h.queue.hold(id), 'held');
    assert.equal(await h.queue.release(id), 'deferred');
    // Released: due now, attempted once more and deferred again.
    await waitUntil(
      () => h.queue.contextOf(id)?.attempts === 2 && h.queue.stateOf(id) === 'deferred',
      'the second attempt deferred',
    );
    assert.equal(await h.queue.delete(id), 'deleted');
    const types = (await loadHistory(h.log, id))?.entries.map((e) => e.type) ?? [];
    assert.ok(
      types.includes('MessageHeld') && types.includes('MessageReleased') && types.at(-1) === 'MessageDeleted',
      types.join(','),
    );
  });
});
