/**
 * The tutorial's `new Queue(storage, relay)` knows no hosted domains: the recipients of mail
 * it receives go to its relay, but a DSN's recipient never does unless `localDomains` names
 * its domain. Without `outbound` the DSN to a remote sender waits (deferred, with the reason);
 * with one it leaves over SMTP (smtp-sink). The local relay here is the real Maildir relay,
 * whose 5.1.3 for the local part `..` is the permanent failure that causes each bounce. With
 * `mailboxes`, BOB@ and Bob@ of one envelope are one delivery into the mailbox as listed.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type QueueExtraOptions } from '../../src/queue/queue.js';
import { dsnIdFor } from '../../src/mail/queueId.js';
import { messageSummaryFrom } from '../../src/readmodel/messagesProjection.js';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import { SmtpRelay } from '../../src/relay/smtpRelay.js';
import { SqliteStorage } from '../../src/storage/sqliteStorage.js';
import { freePort, startSmtpSink } from '../relay/realServers.js';
import { sampleBody } from '../support/queueHarness.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function tutorialQueue(extra: QueueExtraOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-tutorial-'));
  const storage = new SqliteStorage(join(dir, 'var'));
  const mailRoot = join(dir, 'mail');
  mkdirSync(mailRoot);
  const queue = new Queue(storage, new MaildirRelay({ root: mailRoot, hostname: 'mx.slimta.test' }), {
    hostname: 'mx.slimta.test',
    retry: { minBackoff: 60_000, maxBackoff: 60_000, maxLifetime: 3_600_000 },
    ...extra,
  });
  await queue.start();
  cleanup.push(async () => {
    await queue.stop(1000);
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const waitFor = async (id: string, states: string[]) => {
    for (let i = 0; i < 1000; i++) {
      const s = messageSummaryFrom(storage.log.database, id);
      if (s && states.includes(s.state)) return s;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${id} is ${messageSummaryFrom(storage.log.database, id)?.state}, not ${states.join('|')}`);
  };
  const bounceFrom = async (sender: string) => {
    const id = await queue.enqueue({
      envelope: { sender, recipients: ['..@slimta.test'] },
      body: [sampleBody('bounce me')],
    });
    await waitFor(id, ['bounced']);
    return dsnIdFor(id);
  };
  return { queue, mailRoot, waitFor, bounceFrom };
}

describe('new Queue(storage, relay): where DSNs go', () => {
  it('delivers received mail to the relay but keeps a DSN to a remote sender off it, deferred with the reason', async () => {
    const t = await tutorialQueue();
    const id = await t.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['bob@slimta.test'] },
      body: [sampleBody()],
    });
    await t.waitFor(id, ['delivered']);
    const dsn = await t.waitFor(await t.bounceFrom('alice@remote.test'), ['deferred', 'delivered']);
    assert.equal(dsn.state, 'deferred');
    assert.match(String(dsn.lastReason), /no outbound relay configured for remote\.test/);
    assert.deepEqual(readdirSync(t.mailRoot), ['slimta.test']);
    assert.ok(!existsSync(join(t.mailRoot, 'remote.test')));
    assert.ok(!existsSync(join(t.mailRoot, 'slimta.test', 'alice')));
  });

  it('delivers a DSN to a sender at one of localDomains through the relay', async () => {
    const t = await tutorialQueue({ localDomains: ['slimta.test'] });
    await t.waitFor(await t.bounceFrom('bob@slimta.test'), ['delivered']);
    assert.equal(readdirSync(join(t.mailRoot, 'slimta.test', 'bob', 'new')).length, 1);
  });

  it('with mailboxes, delivers BOB@ and Bob@ of one envelope once, into the mailbox as listed, and crosses both off', async () => {
    const t = await tutorialQueue({ localDomains: ['slimta.test'], mailboxes: ['bob@slimta.test'] });
    const id = await t.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['BOB@slimta.test', 'Bob@SLIMTA.test'] },
      body: [sampleBody()],
    });
    const done = await t.waitFor(id, ['delivered', 'deferred', 'bounced']);
    assert.deepEqual(
      done.recipients.map((r) => [r.address, r.status]),
      [
        ['BOB@slimta.test', 'delivered'],
        ['Bob@SLIMTA.test', 'delivered'],
      ],
    );
    assert.deepEqual(readdirSync(join(t.mailRoot, 'slimta.test')), ['bob']);
    assert.equal(readdirSync(join(t.mailRoot, 'slimta.test', 'bob', 'new')).length, 1);
  });

  it('sends a DSN to a remote sender through outbound', async () => {
    const port = await freePort();
    const sink = await startSmtpSink('127.0.0.1', port);
    cleanup.push(() => sink.stop());
    const outbound = new SmtpRelay({ host: '127.0.0.1', port, mx: false, starttls: 'never', helo: 'mx.slimta.test' });
    cleanup.push(() => outbound.close());
    const t = await tutorialQueue({ outbound });
    const dsn = await t.waitFor(await t.bounceFrom('alice@remote.test'), ['delivered', 'deferred']);
    assert.equal(dsn.state, 'delivered');
    const dumps = await sink.dumps();
    assert.equal(dumps.length, 1);
    assert.deepEqual(dumps[0]!.match(/^X-Rcpt-Args: .*$/gm), ['X-Rcpt-Args: <alice@remote.test>']);
    assert.ok(!existsSync(join(t.mailRoot, 'remote.test')));
  });
});
