/**
 * The test that matters: histories produced by the queue with real I/O (sqlite log, file
 * spool, Maildir deliveries, a retry, a bounce with its DSN) are replayed in a fresh process
 * whose action implementations throw if called: every stream reaches the same state and the
 * same context as the live actor did, and nothing is called.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { MessageContext } from '../../machines/message.context.js';
import { createBounceSender } from '../../src/bounce/bounceSender.js';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import type { DeliveryRequest, RecipientResult, Relay } from '../../src/relay/relay.js';
import { dsnIdFor } from '../../src/mail/queueId.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { waitUntil } from '../support/waitUntil.js';

let h: Harness | undefined;
after(async () => h?.close());

/** Defers the first attempt of every message it sees, then delivers through the real Maildir relay. */
class FirstAttemptDefersRelay implements Relay {
  readonly name = 'first-defers';
  private readonly seen = new Set<string>();
  constructor(private readonly real: Relay) {}
  async deliver(req: DeliveryRequest): Promise<RecipientResult[]> {
    if (this.seen.has(req.message.id)) return this.real.deliver(req);
    this.seen.add(req.message.id);
    return req.recipients.map((recipient) => ({
      recipient,
      outcome: 'transient',
      status: '4.4.1',
      reply: 'connection timed out',
    }));
  }
}

describe('replay in a fresh process', () => {
  it('reproduces every live state and context without calling any action', async () => {
    const finals = new Map<string, { state: string; context: MessageContext }>();
    const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'mailtrail-replay-'));
    const relay = new FirstAttemptDefersRelay(
      new MaildirRelay({ root: join(dir, 'mail'), hostname: 'mx.example.test' }),
    );
    h = await makeHarness({
      dir,
      relay,
      queue: {
        onBounce: createBounceSender({ hostname: 'mx.example.test' }),
        onFinal: (id, state, context) => finals.set(id, { state, context }),
      },
    });
    const ids = [
      await h.queue.enqueue({
        envelope: { sender: 'alice@example.test', recipients: ['bob@example.test', 'carol@example.test'] },
        body: [sampleBody('one')],
        client: { ip: '192.0.2.1', helo: 'c.test', protocol: 'ESMTP' },
      }),
      await h.queue.enqueue({
        envelope: { sender: 'alice@example.test', recipients: ['..@example.test', 'bob@example.test'] },
        body: [sampleBody('two')],
      }),
      await h.queue.enqueue({
        envelope: { sender: '', recipients: ['dave@example.test'] },
        body: [sampleBody('three')],
      }),
    ];
    for (const id of ids) await h.waitFor(id, ['delivered', 'bounced']);
    await h.waitFor(dsnIdFor(ids[1]!), ['delivered']);
    await waitUntil(() => finals.size >= 4, { what: 'four final messages' });

    const out = JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(import.meta.dirname, 'fixtures', 'replayWithThrowingActions.ts'),
          join(dir, 'events.sqlite'),
        ],
        { encoding: 'utf8' },
      ),
    ) as Record<string, { state: string; context: unknown }>;
    assert.equal(Object.keys(out).length, 4);
    for (const [id, live] of finals) {
      const replayed = out[`message-${id}`];
      assert.ok(replayed, `no replay of ${id}`);
      assert.equal(replayed.state, live.state);
      assert.deepEqual(replayed.context, JSON.parse(JSON.stringify(live.context)));
    }
    assert.equal(finals.get(ids[1]!)?.context.attempts, 2, 'a retry happened with real I/O');
  });
});
