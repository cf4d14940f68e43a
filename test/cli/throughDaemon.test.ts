/**
 * The operator commands while a daemon runs: with a ControlServer listening on
 * `<dataDir>/control.sock` in front of a running Queue, `mailtrail retry|hold|release|delete`
 * (real child processes) go through the socket, so the running actors change state; nothing
 * is appended behind the daemon's back. `queue` reads the log read-only meanwhile.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlServer } from '../../src/control/controlServer.js';
import { controlSocketPath } from '../../src/control/protocol.js';
import { loadHistory } from '../../src/replay/history.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { runCli, waitUntil, writeCliConfig } from './cliProcess.js';

describe('mailtrail retry, hold, release, delete through a running daemon', () => {
  let h: Harness;
  let server: ControlServer;
  let config: string;
  let id: string;
  const cli = (...args: string[]) => runCli([...args, '--config', config]);

  before(async () => {
    h = await makeHarness({
      queue: { retry: { minBackoff: 3_600_000, maxBackoff: 3_600_000, maxLifetime: 86_400_000 } },
    });
    server = new ControlServer({ path: controlSocketPath(h.dir), queue: h.queue });
    await server.start();
    config = writeCliConfig(h.dir);
    id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['carol@remote.test'] },
      body: [sampleBody()],
    });
    await h.waitFor(id, ['deferred']);
  });
  after(async () => {
    await server.stop();
    await h.close();
  });

  it('retry goes through the socket: the running actor attempts again', async () => {
    assert.equal(h.queue.contextOf(id)?.attempts, 1);
    const r = await cli('retry', id);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`message ${id}: retry requested, now deferred \\(via the daemon\\)`));
    await waitUntil(
      () => h.queue.contextOf(id)?.attempts === 2 && h.queue.stateOf(id) === 'deferred',
      'the running queue made attempt 2',
    );
    const history = await loadHistory(h.log, id);
    assert.ok(history?.entries.some((e) => e.type === 'RetryRequested' && e.data.by === 'cli'));
  });

  it('hold and release change the running actor; queue shows it held meanwhile', async () => {
    assert.equal((await cli('hold', id)).code, 0);
    assert.equal(h.queue.stateOf(id), 'held');
    assert.match((await cli('queue')).stdout, new RegExp(`^${id}\\s+held\\s`, 'm'));
    assert.equal((await cli('release', id)).code, 0);
    assert.equal(h.queue.stateOf(id), 'deferred');
  });

  it('a refused event is reported with exit 1', async () => {
    const r = await cli('release', id);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `mailtrail release: message ${id} is not held (it is deferred); only a held message can be released\n`,
    );
  });

  it('delete ends the running actor; deleting it again is refused as final', async () => {
    const r = await cli('delete', id);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deleted, now deleted \(via the daemon\)/);
    await waitUntil(() => h.queue.stateOf(id) === undefined, 'the actor is gone');
    const again = await cli('delete', id);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `mailtrail delete: message ${id} is already deleted; there is nothing to delete\n`);
    assert.match((await cli('retry', '--all')).stdout, /retry requested for 0 message\(s\) \(via the daemon\)/);
  });
});
