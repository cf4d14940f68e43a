/**
 * A queue stopped while its appends hang: stop() waits its grace and lets the actors go; the
 * tasks still waiting then find no actor. That is the stop, not a failure: nothing is logged
 * as an error, and the next start resumes every message from its log (real sqlite log).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { pino } from 'pino';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { inlineProjections } from '../../src/readmodel/inlineProjections.js';
import type { DeliveryRequest, RecipientResult, Relay } from '../../src/relay/relay.js';
import { makeHarness, sampleBody } from '../support/queueHarness.js';
import { gatedLog } from '../support/gatedLog.js';
import { waitUntil } from '../support/waitUntil.js';

class CountingRelay implements Relay {
  readonly name = 'counting';
  calls = 0;
  async deliver(req: DeliveryRequest): Promise<RecipientResult[]> {
    this.calls += 1;
    return req.recipients.map((recipient) => ({ recipient, outcome: 'delivered', status: '2.0.0', reply: 'ok' }));
  }
}

it('stopping while attempts wait on the log logs no error, and the next start delivers them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-stopgrace-'));
  const real = new SqliteEventLog(join(dir, 'events.sqlite'), { projections: [...inlineProjections] });
  // Every append of a first attempt (PoliciesApplied with RelayAttempted) waits for the gate.
  const gated = gatedLog(real, (events) => events.some((e) => e.type === 'RelayAttempted'));
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const relay = new CountingRelay();
  const h = await makeHarness({ relay, dir, queue: { log: gated.log, logger } });
  try {
    const ids = [];
    for (const i of [1, 2, 3])
      ids.push(
        await h.queue.enqueue({
          envelope: { sender: 'a@remote.test', recipients: [`u${i}@example.test`] },
          body: [sampleBody()],
        }),
      );
    await waitUntil(() => gated.held === 3, { what: 'three first attempts waiting on the log' });
    await h.queue.stop(50);
    gated.open();
    await new Promise((r) => setTimeout(r, 200));
    const errors = lines.filter((l) => l.level >= 50);
    assert.deepEqual(errors, [], 'nothing is an error in a stop');
    assert.ok(
      lines.some((l) => /left for the next start \(stopping\)/.test(l.msg)),
      'the let-go tasks are noted',
    );
    assert.equal(relay.calls, 0, 'no delivery starts once stopping');
    // The next start (a new queue on the same log file, no gate) takes them up again from their histories.
    const next = await makeHarness({ relay, dir });
    try {
      for (const id of ids) assert.equal(await next.waitFor(id, ['delivered']), 'delivered');
      assert.equal(relay.calls, 3);
    } finally {
      await next.queue.stop(1000);
      await next.log.close();
    }
  } finally {
    gated.open();
    await h.log.close();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
