/**
 * A restart with thousands of deferred messages: 200 are queued for real while the Maildir
 * root is missing (each attempt defers), their histories cloned to 2,000; the queue restarts on
 * the same log with the root back, on a fake clock. Recovery restores them from their stored
 * snapshots in the background without folding a history (no fallback is logged); every one is
 * scheduled (the queue knows it as deferred, the projection lists it live), none is attempted
 * before its time, and once the clock reaches it every one is delivered. A damaged snapshot
 * row is folded instead, loudly, and that message is delivered too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import { liveMessagesFrom } from '../../src/readmodel/messagesProjection.js';
import { Router } from '../../src/queue/router.js';
import { SNAPSHOT_TABLE } from '../../src/readmodel/snapshotProjection.js';
import { cloneHistories } from '../support/cloneHistories.js';
import { FakeScheduler } from '../support/fakeScheduler.js';
import { type Harness, makeHarness, sampleBody } from '../support/queueHarness.js';
import { waitUntil } from '../support/waitUntil.js';

/** Messages in every mailbox of the Maildir root (root/<domain>/<local>/new). */
function deliveredFiles(root: string): number {
  const domain = join(root, 'example.test');
  if (!existsSync(domain)) return 0;
  return readdirSync(domain).reduce(
    (n, box) => n + (existsSync(join(domain, box, 'new')) ? readdirSync(join(domain, box, 'new')).length : 0),
    0,
  );
}

const REAL = Number(process.env.RR_REAL ?? 200);
const TOTAL = Number(process.env.RR_TOTAL ?? 2000);

describe('restart with 2,000 deferred messages', () => {
  let h: Harness;
  const scheduler = new FakeScheduler(Date.UTC(2026, 11, 2, 6, 0));
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  let ids: string[] = [];
  let damaged = '';

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-restart-'));
    // The relay is down: its Maildir root does not exist, so every attempt defers.
    h = await makeHarness({
      dir,
      relay: new MaildirRelay({ root: join(dir, 'unmounted', 'mail'), hostname: 'mx.example.test' }),
      queue: {
        scheduler,
        concurrency: 50,
        retry: { minBackoff: 60_000, maxBackoff: 120_000, maxLifetime: 86_400_000 },
      },
    });
    const real = await Promise.all(
      Array.from({ length: REAL }, (_, i) =>
        h.queue.enqueue({
          envelope: { sender: 'alice@remote.test', recipients: [`bob${i}@example.test`] },
          body: [sampleBody(`m${i}`)],
        }),
      ),
    );
    await waitUntil(() => real.every((id) => h.stateOf(id) === 'deferred'), {
      what: 'the real messages deferred',
      timeoutMs: 60_000,
    });
    const clones = await cloneHistories(h.log, h.spool.bodiesDir, real, TOTAL - REAL);
    ids = [...real, ...clones];
    damaged = clones[7]!;
    h.log.database.prepare(`UPDATE ${SNAPSHOT_TABLE} SET snapshot = '{"status":' WHERE id = ?`).run(damaged);
    // Restart with the root back.
    await h.restart({
      router: new Router({
        localDomains: ['example.test'],
        localRelay: new MaildirRelay({ root: h.mailRoot, hostname: 'mx.example.test' }),
      }),
      logger,
    });
  });
  after(async () => {
    await h.close();
  });

  it('schedules every one without folding a history, and attempts none before its time', async () => {
    await waitUntil(() => lines.some((l) => /^recovered \d+ live messages/.test(String(l.msg))), {
      what: 'recovery done',
      timeoutMs: 60_000,
    });
    const done = lines.find((l) => /^recovered \d+ live messages/.test(String(l.msg)))!;
    assert.equal(done.recovered, TOTAL);
    for (const id of ids) assert.equal(h.queue.stateOf(id), 'deferred', `${id} is scheduled`);
    assert.equal(h.queue.size, TOTAL);
    assert.equal(liveMessagesFrom(h.log.database).length, TOTAL, 'the projection (mailtrail queue) lists them all');
    await h.queue.idle();
    assert.equal(deliveredFiles(h.mailRoot), 0, 'nothing delivered before the retry time');
  });

  it('folds the message whose snapshot is damaged, and says so', () => {
    // Not yet: a resting message is woken when due; its fallback is logged then.
    assert.equal(lines.filter((l) => l.problem !== undefined).length, 0);
  });

  it('delivers every one once the clock reaches its retry time', async () => {
    scheduler.advance(120_000);
    await waitUntil(
      () => {
        scheduler.advance(0);
        return ids.every((id) => h.stateOf(id) === 'delivered');
      },
      { what: 'every message delivered', timeoutMs: 120_000 },
    );
    await h.queue.idle();
    assert.equal(deliveredFiles(h.mailRoot), TOTAL);
    assert.equal(h.queue.size, 0);
    const fallback = lines.filter((l) => l.problem !== undefined);
    assert.deepEqual(
      fallback.map((l) => [l.messageId, l.problem]),
      [[damaged, 'corrupt']],
    );
  });
});
