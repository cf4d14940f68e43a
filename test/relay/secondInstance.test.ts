/**
 * Relaying between two mailtrail instances over real SMTP: instance A hosts a.test and sends
 * everything else through its SmtpRelay to instance B's edge, which hosts b.test and delivers
 * into its Maildir. A records B's "queued as" reply; B's history links to its SMTP session.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHistory } from '../../src/replay/history.js';
import { SmtpEdge } from '../../src/edge/index.js';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import { SmtpRelay } from '../../src/relay/smtpRelay.js';
import { Router } from '../../src/queue/router.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe('SMTP relay to a second mailtrail', () => {
  it('A hands b.test mail to B over SMTP; B delivers it into its Maildir', async () => {
    const b: Harness = await makeHarness();
    cleanup.push(() => b.close());
    await b.restart({
      router: new Router({
        localDomains: ['b.test'],
        localRelay: new MaildirRelay({ root: b.mailRoot, hostname: 'mx.b.test' }),
      }),
    });
    const edge = new SmtpEdge(
      {
        listen: { host: '127.0.0.1', port: 0 },
        hostname: 'mx.b.test',
        domains: ['b.test'],
        log: b.log,
        reverseLookup: false,
      },
      b.queue,
    );
    const [bound] = await edge.start();
    cleanup.push(() => edge.stop());

    const a: Harness = await makeHarness();
    cleanup.push(() => a.close());
    const outbound = new SmtpRelay({
      host: '127.0.0.1',
      port: bound!.port,
      mx: false,
      helo: 'mx.a.test',
      starttls: 'never',
    });
    cleanup.push(() => outbound.close());
    await a.restart({
      router: new Router({
        localDomains: ['a.test'],
        localRelay: new MaildirRelay({ root: a.mailRoot, hostname: 'mx.a.test' }),
        outboundRelay: outbound,
      }),
    });

    const id = await a.queue.enqueue({
      envelope: { sender: 'alice@a.test', recipients: ['bob@b.test'] },
      body: [sampleBody('across')],
    });
    assert.equal(await a.waitFor(id, ['delivered', 'deferred', 'bounced']), 'delivered');
    const outcome = (await loadHistory(a.log, id))?.entries.find((e) => e.type === 'DeliverySucceeded');
    const bId = /queued as ([A-Z0-9]+)/.exec(String(outcome?.data.reply))?.[1];
    assert.ok(bId, `A recorded B's reply: ${String(outcome?.data.reply)}`);
    assert.equal(outcome?.data.relay, 'smtp');
    assert.equal(await b.waitFor(bId, ['delivered']), 'delivered');
    const dir = join(b.mailRoot, 'b.test', 'bob', 'new');
    const text = readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8');
    assert.match(text, /Subject: across/);
    assert.equal(text.match(/^Received: /gm)?.length, 2, 'one Received header per hop');
    const bHistory = await loadHistory(b.log, bId);
    assert.ok(bHistory?.links[0], 'B links the message to its SMTP session');
  });
});
