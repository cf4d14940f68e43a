/**
 * Policies that change the envelope, through the real queue: Forward rewrites recipients
 * (recorded in PoliciesApplied and seen by later policies), RecipientDomainSplit makes one
 * child message per domain, each its own stream linked to the parent, carrying the headers
 * added before the split and running only the policies after it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHistory } from '../../src/replay/history.js';
import { Forward, RecipientDomainSplit } from '../../src/policies/index.js';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import { Router } from '../../src/queue/router.js';
import { splitIdFor } from '../../src/mail/queueId.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';

const harnesses: Harness[] = [];
after(async () => {
  for (const h of harnesses) await h.close();
});

describe('envelope policies', () => {
  it('Forward rewrites a recipient before delivery and records it', async () => {
    const h = await makeHarness();
    harnesses.push(h);
    h.queue.addPrequeuePolicy(new Forward([{ pattern: '^postmaster@', replace: 'bob@' }]));
    const id = await h.queue.enqueue({
      envelope: { sender: 'a@remote.test', recipients: ['postmaster@example.test'] },
      body: [sampleBody()],
    });
    assert.equal(await h.waitFor(id, ['delivered']), 'delivered');
    const applied = (await loadHistory(h.log, id))?.entries.find((e) => e.type === 'PoliciesApplied');
    assert.deepEqual(applied?.data.recipients, ['bob@example.test']);
    assert.equal(readdirSync(join(h.mailRoot, 'example.test', 'bob', 'new')).length, 1);
  });

  it('RecipientDomainSplit queues one child per domain, linked to the parent', async () => {
    const h = await makeHarness({ queue: {} });
    harnesses.push(h);
    // Route both test domains to the local Maildir relay.
    const relay = new MaildirRelay({ root: h.mailRoot, hostname: 'mx.example.test' });
    await h.restart({ router: new Router({ localDomains: ['example.test', 'other.test'], localRelay: relay }) });
    h.queue.addPrequeuePolicy(new RecipientDomainSplit());
    const id = await h.queue.enqueue({
      envelope: { sender: 'a@remote.test', recipients: ['bob@example.test', 'carol@other.test', 'dave@example.test'] },
      body: [sampleBody('split me')],
    });
    assert.equal(await h.waitFor(id, ['split']), 'split');
    const first = splitIdFor(id, 1);
    const second = splitIdFor(id, 2);
    assert.equal(await h.waitFor(first, ['delivered']), 'delivered');
    assert.equal(await h.waitFor(second, ['delivered']), 'delivered');
    const parent = await loadHistory(h.log, id);
    assert.deepEqual(parent?.entries.at(-1)?.data.children, [
      { messageId: first, recipients: ['bob@example.test', 'dave@example.test'] },
      { messageId: second, recipients: ['carol@other.test'] },
    ]);
    const child = await loadHistory(h.log, second);
    assert.equal(child?.entries[0]?.data.parentId, id);
    assert.equal(child?.entries[0]?.data.origin, 'split');
    const carol = readdirSync(join(h.mailRoot, 'other.test', 'carol', 'new'));
    const text = readFileSync(join(h.mailRoot, 'other.test', 'carol', 'new', carol[0]!), 'utf8');
    assert.equal(text.match(/^Received: /gm)?.length, 1, 'the Received header is added once, before the split');
    assert.match(text, /Subject: split me/);
  });
});

describe('relay policies', () => {
  it("add headers to each attempt's copy without recording them", async () => {
    const h = await makeHarness();
    harnesses.push(h);
    let calls = 0;
    h.queue.addRelayPolicy({
      name: 'attemptStamp',
      apply: async () => ({ prependHeaders: [`X-Attempt-Stamp: ${++calls}`] }),
    });
    const id = await h.queue.enqueue({
      envelope: { sender: 'a@remote.test', recipients: ['bob@example.test'] },
      body: [sampleBody()],
    });
    assert.equal(await h.waitFor(id, ['delivered']), 'delivered');
    const dir = join(h.mailRoot, 'example.test', 'bob', 'new');
    const text = readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8');
    assert.match(
      text,
      /^Return-Path: <a@remote\.test>\nDelivered-To: bob@example\.test\nX-Attempt-Stamp: 1\nReceived: /,
    );
    const applied = (await loadHistory(h.log, id))?.entries.find((e) => e.type === 'PoliciesApplied');
    assert.ok(
      !(applied!.data.headers as string[]).some((x) => x.startsWith('X-Attempt-Stamp')),
      'relay policy headers are not recorded',
    );
  });
});

describe('prequeue policies', () => {
  it('read the original header block from the spool once per run, however many ask', async () => {
    const { runPrequeuePolicies } = await import('../../src/queue/prequeuePolicies.js');
    let reads = 0;
    const asks = {
      name: 'asks',
      apply: async (ctx: { readHeaders(): Promise<string> }) => ({
        prependHeaders: [`X-Len: ${(await ctx.readHeaders()).length}`],
      }),
    };
    const out = await runPrequeuePolicies({
      policies: [asks, asks, asks],
      from: 0,
      message: {
        id: 'M',
        envelope: { sender: '', recipients: ['a@example.test'] },
        receivedAt: '2026-11-25T12:00:00.000Z',
        size: 1,
      },
      hostname: 'h',
      now: new Date(0),
      readHeaders: async () => {
        reads += 1;
        return 'Subject: x\r\n';
      },
      openMessage: () => {
        throw new Error('not used');
      },
    });
    assert.equal(reads, 1);
    assert.deepEqual(out.headers, ['X-Len: 12', 'X-Len: 12', 'X-Len: 12']);
  });
});
