/**
 * The control socket with a real Queue: retry, hold, release and delete sent through it change
 * the running actors' state; the socket is 0600; malformed requests get an error reply and the
 * server keeps serving; a stale socket file is replaced, a live one refused; sendControl tells
 * "daemon not running" apart from other failures.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { ControlServer, ControlSocketInUseError } from '../../src/control/controlServer.js';
import { ControlError, DaemonNotRunningError, sendControl } from '../../src/control/controlClient.js';
import { ControlCodes, controlSocketPath } from '../../src/control/protocol.js';
import { loadHistory } from '../../src/replay/history.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { waitUntil } from '../cli/cliProcess.js';

/** Sends raw lines on one connection and collects `count` reply lines. */
function exchange(path: string, raw: string, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(raw));
    socket.on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n').filter(Boolean);
      if (lines.length >= count) {
        socket.destroy();
        resolve(lines.map((l) => JSON.parse(l)));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${JSON.stringify(buf)}`)));
  });
}

describe('ControlServer with a real queue', () => {
  let h: Harness;
  let server: ControlServer;
  let path: string;
  const deferredMessage = async () => {
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['carol@remote.test'] },
      body: [sampleBody()],
    });
    await h.waitFor(id, ['deferred']);
    return id;
  };

  before(async () => {
    h = await makeHarness({
      queue: { retry: { minBackoff: 3_600_000, maxBackoff: 3_600_000, maxLifetime: 86_400_000 } },
    });
    path = controlSocketPath(h.dir);
    server = new ControlServer({ path, queue: h.queue });
    await server.start();
  });
  after(async () => {
    await server.stop();
    await h.close();
  });

  it('creates the socket with mode 0600', () => {
    const st = statSync(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
  });

  it('answers ping with its pid', async () => {
    assert.deepEqual(await sendControl(path, { op: 'ping' }, 5000), { ok: true, pid: process.pid });
  });

  it('hold and release change the running actor and are recorded by the cli', async () => {
    const id = await deferredMessage();
    assert.deepEqual(await sendControl(path, { op: 'hold', id }, 5000), { ok: true, state: 'held' });
    assert.equal(h.queue.stateOf(id), 'held');
    assert.deepEqual(await sendControl(path, { op: 'release', id }, 5000), { ok: true, state: 'deferred' });
    assert.equal(h.queue.stateOf(id), 'deferred');
    const history = await loadHistory(h.log, id);
    assert.deepEqual(
      history?.entries.slice(-2).map((e) => [e.type, e.data.by]),
      [
        ['MessageHeld', 'cli'],
        ['MessageReleased', 'cli'],
      ],
    );
  });

  it('retry makes the running actor attempt again now', async () => {
    const id = await deferredMessage();
    assert.equal(h.queue.contextOf(id)?.attempts, 1);
    const reply = await sendControl(path, { op: 'retry', id }, 5000);
    assert.equal(reply.ok, true);
    await waitUntil(
      () => h.queue.contextOf(id)?.attempts === 2 && h.queue.stateOf(id) === 'deferred',
      'a second attempt',
    );
    const all = await sendControl(path, { op: 'retryAll' }, 5000);
    assert.equal(all.ok, true);
    assert.ok(all.ok && (all.count ?? 0) >= 1);
  });

  it('delete ends the actor; a second delete is not found; a refused event says so', async () => {
    const id = await deferredMessage();
    const refused = await sendControl(path, { op: 'release', id }, 5000);
    assert.equal(refused.ok, false);
    assert.ok(
      !refused.ok && refused.code === ControlCodes.refused && refused.state === 'deferred',
      JSON.stringify(refused),
    );
    assert.ok(
      !refused.ok &&
        refused.error === `message ${id} is not held (it is deferred); only a held message can be released`,
      refused.ok ? '' : refused.error,
    );
    assert.deepEqual(await sendControl(path, { op: 'delete', id }, 5000), { ok: true, state: 'deleted' });
    await h.waitFor(id, ['deleted']);
    await waitUntil(() => h.queue.stateOf(id) === undefined, 'the actor is gone');
    const again = await sendControl(path, { op: 'delete', id }, 5000);
    assert.ok(!again.ok && again.code === ControlCodes.notFound, JSON.stringify(again));
  });

  it('answers malformed, unknown and oversized requests with an error and keeps serving', async () => {
    const replies = (await exchange(path, 'not json\n[1]\n{"op":"explode"}\n{"op":"hold"}\n{"op":"ping"}\n', 5)) as {
      ok: boolean;
      error?: string;
      code?: string;
    }[];
    assert.deepEqual(
      replies.map((r) => r.ok),
      [false, false, false, false, true],
    );
    assert.match(replies[0]?.error ?? '', /malformed request/);
    assert.match(replies[2]?.error ?? '', /unknown op "explode"/);
    assert.match(replies[3]?.error ?? '', /op "hold" needs a message "id"/);
    assert.ok(replies.slice(0, 4).every((r) => r.code === ControlCodes.badRequest));
    const [big] = (await exchange(path, 'x'.repeat(40_000), 1)) as { ok: boolean; error: string }[];
    assert.match(big?.error ?? '', /request longer than/);
    assert.equal((await sendControl(path, { op: 'ping' }, 5000)).ok, true);
  });

  it('answers a last request without a newline when the client half-closes (echo … | socat)', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(path, () => socket.end('{"op":"ping"}'));
      let buf = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        buf += d;
      });
      socket.on('end', () => resolve(buf));
      socket.on('error', reject);
    });
    assert.deepEqual(JSON.parse(reply), { ok: true, pid: process.pid });
  });

  it('refuses to start on a live socket, and on a path that is not a socket', async () => {
    await assert.rejects(new ControlServer({ path, queue: h.queue }).start(), ControlSocketInUseError);
    const file = join(h.dir, 'not-a-socket');
    writeFileSync(file, 'keep me');
    await assert.rejects(new ControlServer({ path: file, queue: h.queue }).start(), /is not a socket/);
    assert.equal(readFileSync(file, 'utf8'), 'keep me');
  });
});

describe('sendControl and stale sockets', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => {
    await h.close();
  });

  it('reports a missing socket and a stale one as "daemon not running"', async () => {
    const path = join(h.dir, 'stale.sock');
    await assert.rejects(sendControl(path, { op: 'ping' }, 2000), DaemonNotRunningError);
    // a daemon killed with SIGKILL leaves its socket file behind
    spawnSync(
      process.execPath,
      [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
      ],
      { stdio: 'ignore' },
    );
    assert.ok(existsSync(path));
    await assert.rejects(sendControl(path, { op: 'ping' }, 2000), DaemonNotRunningError);
    const server = new ControlServer({ path, queue: h.queue });
    await server.start();
    assert.equal((await sendControl(path, { op: 'ping' }, 2000)).ok, true);
    await server.stop();
    assert.equal(existsSync(path), false, 'stop() removes the socket file');
  });

  it('times out as a ControlError, not as "daemon not running"', async () => {
    const path = join(h.dir, 'mute.sock');
    const connections: Socket[] = [];
    const mute = createServer((s) => {
      connections.push(s);
    }).listen(path);
    await new Promise((r) => mute.once('listening', r));
    await assert.rejects(
      sendControl(path, { op: 'ping' }, 200),
      (err) => err instanceof ControlError && /no reply/.test(err.message),
    );
    for (const s of connections) s.destroy();
    await new Promise((r) => mute.close(r));
  });
});
