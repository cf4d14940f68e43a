/**
 * Live inspection through a real queue (sqlite log, spool, Maildir relay) and a real SMTP
 * edge with AUTH: a viewer on the relay receives `@xstate.actor`, `@xstate.event` and
 * `@xstate.snapshot` for the session and the message, masked addresses and no body text nor
 * AUTH password; a late viewer gets the live registrations; after the relay restarts on the
 * same port the client reconnects, registers its live actors again, and reports flow.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpEdge } from '../../src/edge/index.js';
import { InspectorClient } from '../../src/inspect/inspectorClient.js';
import { InspectorRelay, type RelayAddress } from '../../src/inspect/inspectorRelay.js';
import { type Harness, makeHarness, sampleBody } from '../support/queueHarness.js';
import { converse } from '../edge/conversation.js';
import { queuedId } from '../edge/edgeHarness.js';
import { type Received, Viewer } from './viewer.js';

const MARKER = 'BODY-MARKER-7f3a9c-never-leaves';
const PASSWORD = 'Pa55-inspect-S3cret';
const plain = (user: string, pass: string) => Buffer.from(`\0${user}\0${pass}`).toString('base64');
const bodyWithMarker = `From: Alice <alice@remote.test>\r\nTo: bob@example.test\r\nSubject: inspected\r\n\r\nHi Bob,\r\n${MARKER}\r\n.\r\n`;
const named = (name: string) => (m: Received) =>
  m.sessionId !== undefined && m.type === '@xstate.actor' && m.name === name;

describe('inspecting a live queue and edge', () => {
  const token = 'a-fixed-token-so-a-restarted-relay-accepts-the-same-client';
  let relay: InspectorRelay;
  let address: RelayAddress;
  let client: InspectorClient;
  let h: Harness;
  let edge: SmtpEdge;
  let port: number;
  let deferred: string;

  before(async () => {
    relay = new InspectorRelay({ port: 0, token });
    address = await relay.start();
    client = new InspectorClient({ addresses: 'mask', reconnect: { minMs: 20, maxMs: 100 } });
    client.connect(address.reporterUrl);
    assert.ok(await client.waitConnected());
    h = await makeHarness({
      queue: {
        inspect: client.inspect,
        retry: { minBackoff: 3_600_000, maxBackoff: 3_600_000, maxLifetime: 86_400_000 },
      },
    });
    edge = new SmtpEdge(
      {
        listen: { host: '127.0.0.1', port: 0 },
        hostname: 'mx.example.test',
        domains: ['example.test'],
        reverseLookup: false,
        closeTimeout: 500,
        log: h.log,
        inspect: client.inspect,
        auth: { allowInsecure: true, authenticate: (user, pass) => user === 'alice@remote.test' && pass === PASSWORD },
      },
      h.queue,
    );
    const [bound] = await edge.start();
    port = bound!.port;
  });
  after(async () => {
    await edge.stop();
    await h.close();
    await client.close();
    await relay.stop();
  });

  it('reports the session and the message, sanitized: no body text, no password, masked addresses', async () => {
    const viewer = await Viewer.open(address.viewerUrl);
    const seen = await converse(port, [
      { server: /^220 / },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      { client: `AUTH PLAIN ${plain('alice@remote.test', PASSWORD)}` },
      { server: /^235 / },
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: /^250 / },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: /^250 / },
      { client: 'DATA' },
      { server: /^354 / },
      { raw: bodyWithMarker },
      { server: /^250 2\.0\.0 Ok: queued as / },
      { client: 'QUIT' },
      { server: /^221 / },
    ]);
    const id = queuedId(seen);
    await h.waitFor(id, ['delivered']);
    const message = await viewer.until(() => viewer.messages.find(named(`message-${id}`)), 'the message actor');
    assert.match(message.definition ?? '', /"id":"message"/, 'the registration carries the machine definition');
    await viewer.until(
      () =>
        viewer.messages.some(
          (m) => m.sessionId === message.sessionId && m.type === '@xstate.snapshot' && m.snapshot?.status === 'done',
        ),
      'the delivered snapshot',
    );
    const events = viewer
      .ofType('@xstate.event')
      .filter((m) => m.sessionId === message.sessionId)
      .map((m) => m.event?.type);
    assert.deepEqual(
      events.filter((t) => !t?.startsWith('xstate.')),
      ['MessageReceived', 'PoliciesApplied', 'RelayAttempted', 'DeliverySucceeded'],
    );
    const snapshots = viewer.ofType('@xstate.snapshot').filter((m) => m.sessionId === message.sessionId);
    assert.equal(snapshots.at(-1)?.snapshot?.value, 'delivered');

    let sessionId = '';
    for await (const e of h.log.readStream(`message-${id}`))
      sessionId ||= String((e.data as { sessionId?: string }).sessionId ?? '');
    const session = await viewer.until(() => viewer.messages.find(named(`session-${sessionId}`)), 'the session actor');
    await viewer.until(
      () => viewer.messages.some((m) => m.sessionId === session.sessionId && m.event?.type === 'SessionClosed'),
      'SessionClosed',
    );
    const sessionEvents = viewer
      .ofType('@xstate.event')
      .filter((m) => m.sessionId === session.sessionId)
      .map((m) => m.event?.type);
    assert.ok(
      sessionEvents.includes('AuthSucceeded') && sessionEvents.includes('MessageAccepted'),
      sessionEvents.join(','),
    );

    const text = viewer.text;
    for (const secret of [
      MARKER,
      PASSWORD,
      plain('alice@remote.test', PASSWORD),
      'bob@example.test',
      'alice@remote.test',
    ]) {
      assert.ok(!text.includes(secret), `${secret} must not reach the inspector`);
    }
    assert.ok(
      text.includes('b***@example.test') && text.includes('a***@remote.test'),
      'addresses are masked, domains kept',
    );
    viewer.close();
  });

  it('gives a viewer that connects late every live actor, with its latest snapshot', async () => {
    deferred = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['carol@remote.test'] },
      body: [sampleBody(MARKER)],
    });
    await h.waitFor(deferred, ['deferred']);
    const late = await Viewer.open(address.viewerUrl);
    const registration = await late.until(
      () => late.messages.find(named(`message-${deferred}`)),
      'the deferred message registered',
    );
    await late.until(
      () => late.messages.some((m) => m.sessionId === registration.sessionId && m.snapshot?.value === 'deferred'),
      'its deferred snapshot',
    );
    assert.ok(!late.text.includes(MARKER));
    late.close();
  });

  it('reconnects after the relay restarts: live actors are registered again and new reports flow', async () => {
    await relay.stop();
    await new Promise((r) => setTimeout(r, 50)); // the client notices and starts retrying
    assert.equal(client.connected, false);
    relay = new InspectorRelay({ port: address.port, token });
    address = await relay.start();
    const viewer = await Viewer.open(address.viewerUrl);
    const again = await viewer.until(
      () => viewer.messages.find(named(`message-${deferred}`)),
      'the live message registered again',
      5000,
    );
    assert.equal(again.snapshot?.value, 'deferred', 'registered with its current snapshot');
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test'] },
      body: [sampleBody('after restart')],
    });
    await h.waitFor(id, ['delivered']);
    const fresh = await viewer.until(
      () => viewer.messages.find(named(`message-${id}`)),
      'a new message after the restart',
    );
    await viewer.until(
      () => viewer.messages.some((m) => m.sessionId === fresh.sessionId && m.event?.type === 'DeliverySucceeded'),
      'its events',
    );
    viewer.close();
  });
});
