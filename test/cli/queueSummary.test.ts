/**
 * `mailtrail queue --summary`: counts by state from the messages projection and the qshape
 * table of live messages by destination domain and age bucket, for messages a real queue
 * received at different times (its clock is set back for the older ones). Also the bucket
 * edges and the table layout, from summaries built by hand.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ageBucket, formatShape, queueShape } from '../../src/cli/queueShape.js';
import type { MessageSummary } from '../../src/readmodel/messageSummary.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { runCli, writeCliConfig } from './cliProcess.js';

const MINUTE = 60_000;

describe('mailtrail queue --summary', () => {
  let h: Harness;
  let config: string;
  let offset = 0;
  const cli = (...args: string[]) => runCli([...args, '--config', config]);

  before(async () => {
    h = await makeHarness({
      queue: {
        now: () => Date.now() - offset,
        retry: { minBackoff: 3_600_000, maxBackoff: 3_600_000, maxLifetime: 86_400_000 },
      },
    });
    config = writeCliConfig(h.dir);
    const at = async (minutesAgo: number, recipients: string[], states: string[]) => {
      offset = minutesAgo * MINUTE;
      const id = await h.queue.enqueue({ envelope: { sender: 'alice@remote.test', recipients }, body: [sampleBody()] });
      await h.waitFor(id, states);
      return id;
    };
    await at(200, ['carol@remote.test'], ['deferred']);
    await at(30, ['dave@remote.test', 'erin@far.test'], ['deferred']);
    await at(7, ['bob@example.test', 'frank@far.test'], ['deferred']); // bob delivered, frank pending
    await at(1, ['bob@example.test'], ['delivered']);
    offset = 0;
    const held = await at(0, ['gina@remote.test'], ['deferred']);
    await h.queue.hold(held);
  });
  after(() => h.close());

  it('prints the counts by state and the domain × age table of the live messages', async () => {
    const r = await cli('queue', '--summary');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'messages by state:',
        '  deferred        3  live',
        '  held            1  live',
        '  delivered       1',
        '',
        'live messages by destination domain and age:',
        '               T 0-5m 5-10m 10-20m 20-40m 40-80m 80-160m 160m+',
        '        TOTAL  4    1     1      0      1      0       0     1',
        '  remote.test  3    1     0      0      1      0       0     1',
        '     far.test  2    0     1      0      1      0       0     0',
        '',
      ].join('\n'),
    );
  });

  it('gives the same numbers as JSON', async () => {
    const r = await cli('queue', '--summary', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      byState: { deferred: 3, held: 1, delivered: 1 },
      ageBuckets: ['0-5m', '5-10m', '10-20m', '20-40m', '40-80m', '80-160m', '160m+'],
      total: { total: 4, counts: [1, 1, 0, 1, 0, 0, 1] },
      domains: [
        { domain: 'remote.test', total: 3, counts: [1, 0, 0, 1, 0, 0, 1] },
        { domain: 'far.test', total: 2, counts: [0, 1, 0, 1, 0, 0, 0] },
      ],
    });
  });

  it('leaves the plain listing as it was', async () => {
    const r = await cli('queue');
    assert.match(r.stdout, /^-- 4 messages, \d+ bytes \(3 deferred, 1 held\)$/m);
    assert.doesNotMatch(r.stdout, /messages by state/);
  });
});

describe('queue shape', () => {
  const summary = (
    id: string,
    minutesAgo: number,
    now: number,
    recipients: Array<[string, 'pending' | 'delivered']>,
  ): MessageSummary => ({
    id,
    state: 'deferred',
    sender: 'a@x.test',
    recipients: recipients.map(([address, status]) => ({ address, status })),
    attempts: 1,
    nextAttemptAt: null,
    receivedAt: new Date(now - minutesAgo * MINUTE).toISOString(),
    updatedAt: '',
    finalAt: null,
    size: 1,
    bodyRef: `bodies/${id}`,
    parentId: null,
    origin: 'smtp',
    sessionId: null,
    lastReason: null,
    revision: 1n,
  });

  it('puts an age on a bucket edge into the older bucket', () => {
    assert.deepEqual(
      [0, 4.99, 5, 9.99, 10, 20, 40, 80, 159.99, 160, 10_000].map((m) => ageBucket(m * MINUTE)),
      [0, 0, 1, 1, 2, 3, 4, 5, 5, 6, 6],
    );
  });

  it('counts a message once per pending destination domain, most loaded domain first', () => {
    const now = Date.parse('2026-05-01T12:00:00.000Z');
    const shape = queueShape(
      [
        summary('A', 1, now, [
          ['x@b.test', 'pending'],
          ['y@b.test', 'pending'],
          ['z@a.test', 'delivered'],
        ]),
        summary('B', 50, now, [
          ['x@a.test', 'pending'],
          ['x@b.test', 'pending'],
        ]),
      ],
      [
        ['deferred', 2],
        ['delivered', 9],
      ],
      now,
    );
    assert.deepEqual(
      shape.domains.map((d) => [d.domain, d.total, d.counts]),
      [
        ['b.test', 2, [1, 0, 0, 0, 1, 0, 0]],
        ['a.test', 1, [0, 0, 0, 0, 1, 0, 0]],
      ],
    );
    assert.match(formatShape(shape), /^ +TOTAL +2 +1 +0 +0 +0 +1 +0 +0$/m);
  });
});
