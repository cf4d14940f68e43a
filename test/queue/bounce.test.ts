/**
 * Bounces end to end: a permanent failure sends one RFC 3464 DSN from <> to the sender
 * through the same queue into the sender's Maildir, parsed back with mailparser; a DSN lost
 * to a crash before it was queued is sent at the next start, and only once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { createBounceSender } from '../../src/bounce/bounceSender.js';
import { loadHistory } from '../../src/replay/history.js';
import { dsnIdFor } from '../../src/mail/queueId.js';
import { searchPage } from '../../src/readmodel/messageSearch.js';
import { messageSummaryFrom } from '../../src/readmodel/messagesProjection.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';

const harnesses: Harness[] = [];
after(async () => {
  for (const h of harnesses) await h.close();
});

describe('bounces', () => {
  it('a recipient that fails for good gets a DSN delivered to the sender', async () => {
    const h = await makeHarness({
      queue: { onBounce: createBounceSender({ hostname: 'mx.example.test' }), hostname: 'mx.example.test' },
    });
    harnesses.push(h);
    // "../x" is refused by the Maildir relay with 5.1.3: a real permanent failure.
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@example.test', recipients: ['bob@example.test', '..@example.test'] },
      body: [sampleBody('quarterly report')],
    });
    assert.equal(await h.waitFor(id, ['delivered', 'bounced']), 'delivered');
    const dsnId = dsnIdFor(id);
    assert.equal(await h.waitFor(dsnId, ['delivered']), 'delivered');
    const dsnHistory = await loadHistory(h.log, dsnId);
    assert.equal(dsnHistory?.entries[0]?.data.sender, '');
    assert.equal(dsnHistory?.entries[0]?.data.parentId, id);
    const dir = join(h.mailRoot, 'example.test', 'alice', 'new');
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    const raw = readFileSync(join(dir, files[0]!), 'utf8');
    assert.match(raw, /^Return-Path: <>\n/);
    const parsed = await simpleParser(raw, { keepDeliveryStatus: true });
    assert.equal(parsed.subject, 'Undelivered Mail Returned to Sender');
    assert.match(
      String(parsed.headers.get('content-type') && (parsed.headers.get('content-type') as { value: string }).value),
      /multipart\/report/,
    );
    assert.match(raw, /Final-Recipient: rfc822; \.\.@example\.test/);
    assert.match(raw, /Action: failed/);
    assert.match(raw, /Status: 5\.1\.3/);
    assert.match(raw, /Diagnostic-Code: smtp; /);
    assert.match(raw, /Subject: quarterly report/, 'original headers attached');
    assert.doesNotMatch(raw, /Final-Recipient: rfc822; bob@example\.test/);
  });

  it('a DSN not queued before a crash is sent at the next start, once', async () => {
    const h = await makeHarness({ queue: { hostname: 'mx.example.test' } }); // no bounce sender: as if we crashed before it ran
    harnesses.push(h);
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@example.test', recipients: ['..@example.test'] },
      body: [sampleBody()],
    });
    assert.equal(await h.waitFor(id, ['bounced']), 'bounced');
    assert.equal(h.stateOf(dsnIdFor(id)), undefined);
    await h.restart({ onBounce: createBounceSender({ hostname: 'mx.example.test' }) });
    assert.equal(await h.waitFor(dsnIdFor(id), ['delivered']), 'delivered');
    await h.restart({ onBounce: createBounceSender({ hostname: 'mx.example.test' }) });
    await h.queue.idle();
    assert.equal(readdirSync(join(h.mailRoot, 'example.test', 'alice', 'new')).length, 1);
  });

  it('an operator bounce of a partly delivered message ends bounced, says 5.0.0 in the DSN and the history, and search --state bounced finds it', async () => {
    // A long backoff: the operator bounces a message that waits, not one in the middle of a retry.
    const retry = { minBackoff: 60_000, maxBackoff: 60_000, maxLifetime: 600_000 };
    const h = await makeHarness({
      queue: { onBounce: createBounceSender({ hostname: 'mx.example.test' }), hostname: 'mx.example.test', retry },
    });
    harnesses.push(h);
    // carol@remote.test waits (no outbound relay: 4.3.5) while bob@ is delivered.
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@example.test', recipients: ['bob@example.test', 'carol@remote.test'] },
      body: [sampleBody('half way')],
    });
    assert.equal(await h.waitFor(id, ['deferred']), 'deferred');
    assert.equal(await h.queue.bounce(id), 'bounced');
    assert.equal(await h.waitFor(id, ['bounced', 'delivered']), 'bounced');
    assert.deepEqual(
      searchPage(h.log.database, { states: ['bounced'] }, 10).map((r) => r.id),
      [id],
    );
    const summary = messageSummaryFrom(h.log.database, id)!;
    assert.deepEqual(
      summary.recipients.map((r) => [r.address, r.status, r.dsn]),
      [
        ['bob@example.test', 'delivered', '2.0.0'],
        ['carol@remote.test', 'failed', '5.0.0'],
      ],
    );
    const history = await loadHistory(h.log, id);
    assert.equal(history?.entries.at(-1)?.type, 'MessageBounced');
    assert.equal(history?.entries.at(-1)?.state, 'bounced');
    assert.equal(await h.waitFor(dsnIdFor(id), ['delivered']), 'delivered');
    const dir = join(h.mailRoot, 'example.test', 'alice', 'new');
    const raw = readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8');
    assert.match(raw, /Final-Recipient: rfc822; carol@remote\.test\nAction: failed\nStatus: 5\.0\.0\n/);
    assert.match(
      raw.replace(/\n[ \t]+/g, ' '),
      /Diagnostic-Code: smtp; bounced by the operator; last attempt: 4\.3\.5 no outbound relay configured for remote\.test\n/,
    );
    assert.doesNotMatch(raw, /Final-Recipient: rfc822; bob@example\.test/);
  });
});
