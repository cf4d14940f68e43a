/**
 * MX routing of the SMTP relay through a real DNS server: dnsmasq on a free loopback port
 * serves MX, A and null-MX records for *.test, and next hops listen on 127.0.0.x with one
 * shared port (smtp-server, and smtp-sink for the per-recipient case). Checks: lowest
 * preference first, the next MX when one refuses the connection, A fallback only without
 * MX, null MX 5.1.10, NXDOMAIN 5.1.2, a failed lookup 4.4.3, a host without address 5.4.4.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpRelay } from '../../src/relay/smtpRelay.js';
import { MxResolver } from '../../src/relay/mxResolver.js';
import { deliveryRequest } from './deliveryRequest.js';
import { freePort, startDnsmasq, startSmtpSink } from './realServers.js';
import { scriptedServer, type Scripted } from './scriptedSmtpServer.js';

const MESSAGE = 'From: alice@example.org\nSubject: via MX\n\nHello\n';
/** Loopback addresses of the next hops: .2 stays closed (refuses), the others listen. */
const DOWN = '127.0.0.2';
const A = '127.0.0.3';
const B = '127.0.0.4';
const SINK = '127.0.0.5';
const REJECTING_SINK = '127.0.0.6';

const cleanup: (() => Promise<void>)[] = [];
let port: number;
let dns: string;
let serverA: Scripted;
let serverB: Scripted;

before(async () => {
  port = await freePort([A, B, SINK, REJECTING_SINK, DOWN]);
  const deadDns = await freePort();
  const dnsmasq = await startDnsmasq([
    'local=/test/',
    // order.test lists its worse MX first, so the relay must sort by preference itself.
    'mx-host=order.test,b.order.test,20',
    'mx-host=order.test,a.order.test,10',
    `host-record=a.order.test,${A}`,
    `host-record=b.order.test,${B}`,
    'mx-host=failover.test,down.failover.test,5',
    'mx-host=failover.test,up.failover.test,15',
    `host-record=down.failover.test,${DOWN}`,
    `host-record=up.failover.test,${B}`,
    'mx-host=alldown.test,down.alldown.test,10',
    `host-record=down.alldown.test,${DOWN}`,
    `host-record=aonly.test,${SINK}`,
    'dns-rr=nullmx.test,15,000000',
    `host-record=nullmx.test,${SINK}`,
    'mx-host=noaddr.test,ghost.noaddr.test,10',
    `server=/slow.test/127.0.0.1#${deadDns}`,
    'mx-host=good.test,mx.good.test,10',
    `host-record=mx.good.test,${SINK}`,
    'mx-host=bad.test,mx.bad.test,10',
    `host-record=mx.bad.test,${REJECTING_SINK}`,
  ]);
  dns = dnsmasq.server;
  serverA = await scriptedServer({ host: A, port });
  serverB = await scriptedServer({ host: B, port });
  const sink = await startSmtpSink(SINK, port);
  const rejecting = await startSmtpSink(REJECTING_SINK, port, ['-f', 'RCPT', '-B', '550 5.1.1 no such user here']);
  cleanup.push(
    () => dnsmasq.stop(),
    () => serverA.close(),
    () => serverB.close(),
    () => sink.stop(),
    () => rejecting.stop(),
  );
});
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

function relay(): SmtpRelay {
  const r = new SmtpRelay({
    port,
    helo: 'relay.test',
    starttls: 'never',
    timeout: 3000,
    resolver: { servers: [dns], timeout: 300, tries: 1 },
  });
  cleanup.push(() => r.close());
  return r;
}

test('the resolver sorts MX hosts by preference and falls back to A only without MX', async () => {
  const resolver = new MxResolver({ servers: [dns], timeout: 300, tries: 1 });
  assert.deepEqual(await resolver.route('order.test'), {
    ok: true,
    hosts: [
      { name: 'a.order.test', preference: 10, implicit: false },
      { name: 'b.order.test', preference: 20, implicit: false },
    ],
  });
  assert.deepEqual(await resolver.route('aonly.test'), {
    ok: true,
    hosts: [{ name: 'aonly.test', preference: 0, implicit: true }],
  });
  assert.deepEqual(await resolver.addresses('aonly.test'), { ok: true, addresses: [SINK] });
  assert.deepEqual(await resolver.route('[192.0.2.1]'), {
    ok: true,
    hosts: [{ name: '192.0.2.1', preference: 0, implicit: true }],
  });
});

test('delivers to the MX host with the lowest preference first', async () => {
  const [result] = await relay().deliver(deliveryRequest(MESSAGE, ['bob@order.test']));
  assert.equal(result!.outcome, 'delivered', result!.reply);
  assert.deepEqual(
    serverA.received.map((r) => r.to),
    [['bob@order.test']],
  );
  assert.equal(serverB.received.filter((r) => r.to.includes('bob@order.test')).length, 0);
});

test('tries the next MX host when the first refuses the connection', async () => {
  const [result] = await relay().deliver(deliveryRequest(MESSAGE, ['bob@failover.test']));
  assert.equal(result!.outcome, 'delivered', result!.reply);
  assert.deepEqual(serverB.received.at(-1)!.to, ['bob@failover.test']);
});

test('defers with 4.4.1 when every MX host refuses the connection', async () => {
  const [result] = await relay().deliver(deliveryRequest(MESSAGE, ['bob@alldown.test']));
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.4.1']);
  assert.match(result!.reply, /down\.alldown\.test \[127\.0\.0\.2\]/);
});

test('falls back to the A record of a domain without MX (NODATA)', async () => {
  const [result] = await relay().deliver(deliveryRequest(MESSAGE, ['bob@aonly.test']));
  assert.deepEqual([result!.outcome, result!.status, result!.reply], ['delivered', '2.0.0', '250 2.0.0 Ok']);
});

test('fails a null MX domain with 5.1.10, although it has an A record', async () => {
  const [result] = await relay().deliver(deliveryRequest(MESSAGE, ['bob@nullmx.test']));
  assert.deepEqual([result!.outcome, result!.status], ['permanent', '5.1.10']);
  assert.match(result!.reply, /null MX/);
});

test('fails an unknown domain (NXDOMAIN) with 5.1.2', async () => {
  const [result] = await relay().deliver(deliveryRequest(MESSAGE, ['bob@unknown.test']));
  assert.deepEqual([result!.outcome, result!.status], ['permanent', '5.1.2']);
});

test('defers with 4.4.3 when the MX lookup fails, without falling back to A', async () => {
  const [result] = await relay().deliver(deliveryRequest(MESSAGE, ['bob@slow.test']));
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.4.3']);
  assert.match(result!.reply, /MX lookup for slow\.test failed: ETIMEOUT/);
});

test('fails with 5.4.4 when no MX host has an address', async () => {
  const [result] = await relay().deliver(deliveryRequest(MESSAGE, ['bob@noaddr.test']));
  assert.deepEqual([result!.outcome, result!.status], ['permanent', '5.4.4']);
});

test('groups by domain: one request, each domain its own next hop and outcome', async () => {
  const recipients = [
    'bob@good.test',
    'carol@bad.test',
    'dave@good.test',
    'erin@nullmx.test',
    'frank@unknown.test',
    'nodomain',
  ];
  const results = await relay().deliver(deliveryRequest(MESSAGE, recipients));
  assert.deepEqual(
    results.map((r) => [r.recipient, r.outcome, r.status]),
    [
      ['bob@good.test', 'delivered', '2.0.0'],
      ['carol@bad.test', 'permanent', '5.1.1'],
      ['dave@good.test', 'delivered', '2.0.0'],
      ['erin@nullmx.test', 'permanent', '5.1.10'],
      ['frank@unknown.test', 'permanent', '5.1.2'],
      ['nodomain', 'permanent', '5.1.3'],
    ],
  );
  assert.equal(results[1]!.reply, '550 5.1.1 no such user here');
});
