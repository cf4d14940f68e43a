/**
 * Metrics: `mailtrail run --metrics=0` serves /metrics on 127.0.0.1 and its counters move when
 * a message goes through; the message-event bookkeeping on its own (deferred, delivered,
 * bounced, attempt latency); group-commit batch sizes from a real sqlite log; the endpoint's
 * 404; `--metrics` port parsing.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../../src/eventlog/eventLog.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import {
  createMetrics,
  instrumentAppend,
  observeMessageEvent,
  parseMetricsPort,
  startMetricsServer,
} from '../../src/metrics/index.js';
import { baseConfig, startDaemon, writeConfig } from '../support/daemonProcess.js';
import { smtpSend } from '../support/smtpClient.js';
import { waitUntil } from '../support/waitUntil.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mailtrail-metrics-'));
  dirs.push(d);
  return d;
};

/** `name{labels} value` lines of the text format → a map from `name{labels}` to the value. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parseMetrics(await res.text());
}

let position = 0n;
function event(stream: string, type: string, state: string, data: Record<string, unknown>): RecordedEvent {
  position += 1n;
  return { stream, type, data, metadata: { state }, revision: 0n, position, recordedAt: new Date().toISOString() };
}

describe('mailtrail run --metrics', () => {
  it('serves /metrics on 127.0.0.1, and the counters move when a message is delivered', async () => {
    const dir = tempDir();
    const d = await startDaemon(writeConfig(dir, baseConfig(dir)), { args: ['--metrics=0'] });
    try {
      await waitUntil(() => d.lines.some((l) => l.metrics), { what: 'the metrics log line' });
      assert.ok(d.lines[0]?.listening, "the first line is still the daemon's listening line");
      const announced = d.lines.find((l) => l.metrics) as
        | { metrics: { host: string; port: number }; msg: string }
        | undefined;
      assert.ok(announced, 'the daemon logs where the metrics are');
      assert.equal(announced.metrics.host, '127.0.0.1');
      const port = announced.metrics.port;
      const before = await scrape(port);
      assert.equal(before.get('mailtrail_messages_received_total'), undefined, 'no origin label yet');
      assert.equal(before.get('mailtrail_messages_delivered_total'), 0);
      assert.equal(before.get('mailtrail_queue_messages{state="deferred"}'), 0);

      const reply = await smtpSend({
        port: d.port,
        from: 'alice@remote.test',
        to: ['bob@example.test'],
        body: 'Subject: hi\r\n\r\nhello\r\n',
      });
      assert.match(reply, /^250 2\.0\.0 Ok: queued as /);
      let after = before;
      await waitUntil(
        async () => {
          after = await scrape(port);
          return after.get('mailtrail_messages_delivered_total') === 1;
        },
        {
          what: 'one delivered message in the metrics',
        },
      );
      assert.equal(after.get('mailtrail_messages_received_total{origin="smtp"}'), 1);
      assert.equal(after.get('mailtrail_messages_delivered_total'), 1);
      assert.equal(after.get('mailtrail_messages_deferred_total'), 0);
      assert.equal(after.get('mailtrail_messages_bounced_total'), 0);
      assert.equal(after.get('mailtrail_recipients_total{outcome="delivered"}'), 1);
      assert.equal(after.get('mailtrail_delivery_attempt_seconds_count{result="delivered"}'), 1);
      assert.ok(
        (after.get('mailtrail_eventlog_append_seconds_count') ?? 0) >= 4,
        'MessageReceived, PoliciesApplied, RelayAttempted, the outcome',
      );
      assert.ok((after.get('mailtrail_eventlog_batch_size_count') ?? 0) >= 1);
      for (const state of ['received', 'policies-applied', 'relay-attempted', 'deferred', 'held']) {
        assert.equal(after.get(`mailtrail_queue_messages{state="${state}"}`), 0, state);
      }
      assert.ok(after.has('process_cpu_user_seconds_total'), 'Node process metrics too');
    } finally {
      assert.equal(await d.kill('SIGTERM'), 0);
    }
  });
});

describe('message metrics from events', () => {
  it('counts a deferral, then the delivery, and times each attempt from RelayAttempted to its last outcome', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const attempts = new Map<string, number>();
    const s = 'message-A';
    const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
    for (const e of [
      event(s, 'MessageReceived', 'received', { at: t(0), origin: 'smtp' }),
      event(s, 'PoliciesApplied', 'policies-applied', { at: t(5) }),
      event(s, 'RelayAttempted', 'relay-attempted', { at: t(10) }),
      event(s, 'DeliverySucceeded', 'relay-attempted', { at: t(40) }),
      event(s, 'DeliveryDeferred', 'deferred', { at: t(510) }),
      event(s, 'RetryRequested', 'deferred', { at: t(600) }),
      event(s, 'RelayAttempted', 'relay-attempted', { at: t(1000) }),
      event(s, 'DeliverySucceeded', 'delivered', { at: t(1020) }),
      event('message-B', 'MessageReceived', 'received', { at: t(0), origin: 'dsn' }),
      event('message-B', 'MessageBounced', 'bounced', { at: t(5) }),
      event('session-X', 'MessageReceived', 'mail', { at: t(0) }),
    ])
      observeMessageEvent(m, attempts, e);
    const got = parseMetrics(await m.registry.metrics());
    assert.equal(got.get('mailtrail_messages_received_total{origin="smtp"}'), 1);
    assert.equal(got.get('mailtrail_messages_received_total{origin="dsn"}'), 1);
    assert.equal(
      got.get('mailtrail_messages_deferred_total'),
      1,
      'one attempt ended deferred; RetryRequested is not a deferral',
    );
    assert.equal(got.get('mailtrail_messages_delivered_total'), 1);
    assert.equal(got.get('mailtrail_messages_bounced_total'), 1);
    assert.equal(got.get('mailtrail_recipients_total{outcome="delivered"}'), 2);
    assert.equal(got.get('mailtrail_recipients_total{outcome="deferred"}'), 1);
    assert.equal(got.get('mailtrail_delivery_attempt_seconds_sum{result="deferred"}'), 0.5);
    assert.equal(got.get('mailtrail_delivery_attempt_seconds_sum{result="delivered"}'), 0.02);
    assert.equal(attempts.size, 0);
  });
});

describe('event-log metrics', () => {
  it('times appends and records the group-commit batch sizes of a sqlite log', async () => {
    const dir = tempDir();
    const log = new SqliteEventLog(join(dir, 'events.sqlite'));
    const m = createMetrics({ defaultMetrics: false });
    instrumentAppend(log, m);
    instrumentAppend(log, m); // a second call changes nothing
    await Promise.all(Array.from({ length: 5 }, (_, i) => log.append(`s-${i}`, [{ type: 'Happened', data: {} }])));
    await log.append('s-9', [{ type: 'Happened', data: {} }]);
    await log.close();
    const got = parseMetrics(await m.registry.metrics());
    assert.equal(got.get('mailtrail_eventlog_append_seconds_count'), 6);
    assert.equal(got.get('mailtrail_eventlog_batch_size_count'), 2);
    assert.equal(got.get('mailtrail_eventlog_batch_size_sum'), 6);
    assert.equal(got.get('mailtrail_eventlog_batch_size_bucket{le="1"}'), 1);
    assert.equal(got.get('mailtrail_eventlog_batch_size_bucket{le="8"}'), 2);
  });
});

describe('the metrics endpoint', () => {
  it('answers 404 off /metrics and listens on loopback only', async () => {
    const server = await startMetricsServer(createMetrics({ defaultMetrics: false }).registry, 0);
    try {
      assert.equal(server.host, '127.0.0.1');
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' })).status, 405);
    } finally {
      await server.close();
    }
  });

  it('takes --metrics alone as port 9465 and refuses what is not a port', () => {
    assert.equal(parseMetricsPort(''), 9465);
    assert.equal(parseMetricsPort('9100'), 9100);
    for (const bad of ['x', '70000', '-1', '9100a']) assert.throws(() => parseMetricsPort(bad), { code: 'ERR_USAGE' });
  });
});
