/**
 * Postfix's rule when the log cannot be written, through the real queue (sqlite log, spool,
 * Maildir) with FailingAppendLog refusing appends on purpose: outcomes (or PoliciesApplied)
 * whose append fails are kept and appended again, and the message is delivered with each
 * outcome recorded once; when every try fails, the queue calls onLogLost (the daemon stops,
 * exit 75) with OutcomeNotRecordedError, and nothing is lost: the log still holds the attempt,
 * and the next start attempts it again and delivers it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHistory } from '../../src/replay/history.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { OutcomeNotRecordedError } from '../../src/queue/durableRecord.js';
import { inlineProjections } from '../../src/readmodel/inlineProjections.js';
import { messageSummaryFrom, recoverySourceFrom } from '../../src/readmodel/messagesProjection.js';
import { Queue } from '../../src/queue/queue.js';
import { Router } from '../../src/queue/router.js';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import { Spool } from '../../src/spool/spool.js';
import { FailingAppendLog } from '../support/failingAppendLog.js';
import { sampleBody } from '../support/queueHarness.js';
import { waitUntil } from '../support/waitUntil.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Run {
  queue: Queue;
  log: SqliteEventLog;
  lost: Error[];
  stop(): Promise<void>;
}

/** A queue over the sqlite log in `dir`, wrapped by `wrap`; retries after 10 ms, twice. */
async function startQueue(
  dir: string,
  wrap: (log: SqliteEventLog) => FailingAppendLog | SqliteEventLog = (l) => l,
): Promise<Run> {
  const mailRoot = join(dir, 'mail');
  mkdirSync(mailRoot, { recursive: true });
  const log = new SqliteEventLog(join(dir, 'events.sqlite'), { projections: [...inlineProjections] });
  const lost: Error[] = [];
  const queue = new Queue({
    log: wrap(log),
    spool: new Spool(join(dir, 'spool')),
    router: new Router({
      localDomains: ['example.test'],
      localRelay: new MaildirRelay({ root: mailRoot, hostname: 'mx.example.test' }),
    }),
    hostname: 'mx.example.test',
    retry: { minBackoff: 30, maxBackoff: 200, maxLifetime: 60_000 },
    recovery: recoverySourceFrom(log.database),
    recordRetryDelays: [10, 10],
    onLogLost: (err) => lost.push(err),
  });
  await queue.start();
  return {
    queue,
    log,
    lost,
    stop: async () => {
      await queue.stop(1000);
      await log.close();
    },
  };
}

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mailtrail-logfail-'));
  dirs.push(d);
  return d;
};
const bobsMail = (dir: string) => {
  try {
    return readdirSync(join(dir, 'mail', 'example.test', 'bob', 'new'));
  } catch {
    return [];
  }
};
const send = (q: Queue) =>
  q.enqueue({ envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test'] }, body: [sampleBody()] });
const stateOf = (run: Run, id: string) => messageSummaryFrom(run.log.database, id)?.state;

describe('when the log refuses an append', () => {
  it('keeps the outcomes, appends them again, and the message is delivered with one outcome recorded', async () => {
    const dir = tempDir();
    let failing: FailingAppendLog | undefined;
    const run = await startQueue(dir, (log) => (failing = new FailingAppendLog(log, ['DeliverySucceeded'], 2)));
    try {
      const id = await send(run.queue);
      await waitUntil(() => stateOf(run, id) === 'delivered', { what: 'the message to be delivered' });
      assert.equal(failing!.refused, 2);
      const types = (await loadHistory(run.log, id))?.entries.map((e) => e.type);
      assert.deepEqual(types, ['MessageReceived', 'PoliciesApplied', 'RelayAttempted', 'DeliverySucceeded']);
      assert.equal(bobsMail(dir).length, 1);
      assert.deepEqual(run.lost, []);
    } finally {
      await run.stop();
    }
  });

  it('keeps PoliciesApplied and appends it again', async () => {
    const dir = tempDir();
    const run = await startQueue(dir, (log) => new FailingAppendLog(log, ['PoliciesApplied'], 1));
    try {
      const id = await send(run.queue);
      await waitUntil(() => stateOf(run, id) === 'delivered', { what: 'the message to be delivered' });
      assert.deepEqual(run.lost, []);
    } finally {
      await run.stop();
    }
  });

  it('stops (onLogLost) when every try fails, and the next start delivers the message: nothing lost', async () => {
    const dir = tempDir();
    const first = await startQueue(dir, (log) => new FailingAppendLog(log, ['DeliverySucceeded'], Infinity));
    let id: string;
    try {
      id = await send(first.queue);
      await waitUntil(() => first.lost.length > 0, { what: 'onLogLost to be called' });
      const [err] = first.lost;
      assert.ok(err instanceof OutcomeNotRecordedError);
      assert.equal(err.code, 'ERR_OUTCOME_NOT_RECORDED');
      assert.match(err.message, new RegExp(`message ${id}: could not record DeliverySucceeded after 3 tries`));
      // The log holds the attempt and no outcome: nothing was crossed off.
      assert.equal(stateOf(first, id), 'relay-attempted');
    } finally {
      await first.stop();
    }
    const second = await startQueue(dir);
    try {
      await waitUntil(() => stateOf(second, id) === 'delivered', { what: 'the recovered message to be delivered' });
      const types = (await loadHistory(second.log, id))?.entries.map((e) => e.type);
      assert.deepEqual(types, [
        'MessageReceived',
        'PoliciesApplied',
        'RelayAttempted',
        'RelayAttempted',
        'DeliverySucceeded',
      ]);
      // At least once: the unrecorded first delivery may be there too, never none.
      assert.ok(bobsMail(dir).length >= 1);
    } finally {
      await second.stop();
    }
  });
});
