/**
 * The inspector relay on its own, with real `ws` clients: it listens on 127.0.0.1 only, serves
 * the bridge page to its own host only, lets in reporters only with the token and browser
 * viewers only from its own page, relays reports and never what a viewer sends, and gives a
 * late viewer every retained registration (finished actors bounded, a gone reporter's retired).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { WebSocket } from 'ws';
import { InspectorRelay, type RelayAddress } from '../../src/inspect/inspectorRelay.js';
import { RetainedActors } from '../../src/inspect/retainedActors.js';
import { Viewer } from './viewer.js';

const actor = (sessionId: string, status = 'active') => ({
  type: '@xstate.actor',
  sessionId,
  name: sessionId,
  definition: '{"id":"m"}',
  snapshot: { status, value: 'a' },
});
const snapshot = (sessionId: string, status: string, value: string) => ({
  type: '@xstate.snapshot',
  sessionId,
  event: { type: 'E' },
  snapshot: { status, value },
});

function openReporter(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function refusal(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('connection accepted'));
    });
    ws.once('error', () => undefined);
  });
}

function get(port: number, host: string): Promise<{ status: number; body: string; csp: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          csp: res.headers['content-security-policy'] as string | undefined,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('inspector relay', () => {
  const relay = new InspectorRelay({ port: 0, retention: { finished: 2 } });
  let address: RelayAddress;
  before(async () => {
    address = await relay.start();
  });
  after(() => relay.stop());

  it('listens on 127.0.0.1 only', async () => {
    assert.equal(address.viewerUrl, `ws://127.0.0.1:${address.port}/`);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && !i.internal)
      .map((i) => i!.address);
    for (const host of [...others, '::1']) {
      const outcome = await new Promise<string>((resolve) => {
        const s = connect({ host, port: address.port }, () => {
          s.destroy();
          resolve('connected');
        });
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      assert.notEqual(outcome, 'connected', `the relay must not answer on ${host}`);
    }
  });

  it('serves the bridge page to its own host only', async () => {
    const page = await get(address.port, `127.0.0.1:${address.port}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /https:\/\/stately\.ai\/inspect/);
    assert.match(page.csp ?? '', /connect-src ws:\/\/127\.0\.0\.1:\d+/);
    assert.equal((await get(address.port, `rebound.example:${address.port}`)).status, 403);
  });

  it('refuses a reporter without the token and a browser viewer from another origin', async () => {
    assert.equal(await refusal(address.reporterUrl.replace(/token=\w+/, 'token=guess')), 403);
    assert.equal(await refusal(`ws://127.0.0.1:${address.port}/report`), 403);
    assert.equal(await refusal(address.viewerUrl, { origin: 'https://evil.example' }), 403);
    const fromPage = await Viewer.open(address.viewerUrl, { origin: `http://127.0.0.1:${address.port}` });
    fromPage.close();
  });

  it('relays reports to viewers and never what a viewer sends', async () => {
    const loud = await Viewer.open(address.viewerUrl);
    const quiet = await Viewer.open(address.viewerUrl);
    const reporter = await openReporter(address.reporterUrl);
    loud.ws.send(JSON.stringify(actor('forged:1')));
    loud.ws.send('not json');
    reporter.send(JSON.stringify({ type: 'not-inspection', sessionId: 'x' }));
    reporter.send(JSON.stringify(actor('r:1')));
    await quiet.until(() => quiet.messages.find((m) => m.sessionId === 'r:1'), 'the report');
    await loud.until(() => loud.messages.find((m) => m.sessionId === 'r:1'), 'the report on the sender too');
    const late = await Viewer.open(address.viewerUrl);
    await late.until(() => late.messages.find((m) => m.sessionId === 'r:1'), 'the retained report');
    for (const v of [quiet, loud, late]) {
      assert.ok(!v.text.includes('forged'), 'a viewer’s message is never relayed');
      assert.ok(!v.text.includes('not-inspection'), 'only inspection messages are relayed');
    }
    for (const v of [quiet, loud, late]) v.close();
    reporter.close();
  });

  it('gives a late viewer every live registration and the last finished ones, in order', async () => {
    const reporter = await openReporter(address.reporterUrl);
    for (const id of ['a', 'b', 'c', 'd']) reporter.send(JSON.stringify(actor(`late:${id}`)));
    for (const id of ['a', 'b', 'c']) reporter.send(JSON.stringify(snapshot(`late:${id}`, 'done', 'delivered')));
    const first = await Viewer.open(address.viewerUrl);
    await first.until(
      () => first.messages.some((m) => m.sessionId === 'late:c' && m.snapshot?.status === 'done'),
      'c finished',
    );
    first.close();
    const late = await Viewer.open(address.viewerUrl);
    await late.until(() => late.messages.some((m) => m.sessionId === 'late:d'), 'the live actor');
    const registered = late
      .ofType('@xstate.actor')
      .map((m) => m.sessionId)
      .filter((s) => s.startsWith('late:'));
    assert.deepEqual(
      registered,
      ['late:b', 'late:c', 'late:d'],
      'finished actors are bounded (2 kept), the live one is there',
    );
    const trail = late.messages.filter((m) => m.sessionId === 'late:c').map((m) => m.type);
    assert.deepEqual(trail, ['@xstate.actor', '@xstate.snapshot']);
    late.close();
    reporter.close();
    await new Promise<void>((resolve) => reporter.once('close', () => resolve()));
    await first.until(() => !relay.retained.isLive('late:d'), 'the gone reporter’s actor retired');
  });
});

describe('retained actors', () => {
  it('keeps the last events of a live actor and forgets an unknown actor’s events', () => {
    const r = new RetainedActors({ trail: 2, finished: 5, live: 2 });
    const add = (m: Record<string, unknown>) => r.record(m as never, JSON.stringify(m), 1);
    add(actor('x'));
    for (const v of ['s1', 's2', 's3']) add(snapshot('x', 'active', v));
    add(snapshot('unknown', 'active', 'zz'));
    assert.deepEqual(
      r.replay().map((t) => (JSON.parse(t) as { snapshot: { value: string } }).snapshot.value),
      ['a', 's2', 's3'],
    );
    add(actor('y'));
    add(actor('z'));
    assert.equal(r.liveCount, 2, 'beyond the live limit the oldest counts as finished');
    assert.equal(r.finishedCount, 1);
    r.retire(1);
    assert.equal(r.liveCount, 0);
  });
});
