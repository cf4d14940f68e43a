/**
 * `mailtrail inspect <id>` as an admin runs it, against a data directory a real queue produced
 * and then stopped: with a relay announced in the data directory (as `run --inspect` does) it
 * reports there and exits; without one it starts its own on a free port, prints the page, and
 * serves a late viewer the whole replay until SIGINT. The events are the history's, in order.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeAnnouncement, removeAnnouncement } from '../../src/inspect/announcement.js';
import { InspectorRelay } from '../../src/inspect/inspectorRelay.js';
import { makeHarness, type Harness } from '../support/queueHarness.js';
import { runCli, writeCliConfig } from '../cli/cliProcess.js';
import { type Received, Viewer } from './viewer.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MARKER = 'REPLAY-BODY-MARKER-51c0';
const historyTypes = ['MessageReceived', 'PoliciesApplied', 'RelayAttempted', 'DeliverySucceeded'];
const replayEvents = (v: Viewer, actor: Received) =>
  v
    .ofType('@xstate.event')
    .filter((m) => m.sessionId === actor.sessionId)
    .map((m) => m.event?.type)
    .filter((t) => !t?.startsWith('xstate.'));

describe('mailtrail inspect', () => {
  let h: Harness;
  let config: string;
  let id: string;
  before(async () => {
    h = await makeHarness();
    id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: ['bob@example.test'] },
      body: [Buffer.from(`From: alice@remote.test\r\nTo: bob@example.test\r\nSubject: replayed\r\n\r\n${MARKER}\r\n`)],
    });
    await h.waitFor(id, ['delivered']);
    await h.queue.stop(1000);
    await h.log.close();
    config = writeCliConfig(h.dir);
  });
  after(() => h.close());

  it('--all replays the history into the relay a running daemon announced, then exits', async () => {
    const relay = new InspectorRelay({ port: 0 });
    const address = await relay.start();
    writeAnnouncement(h.dir, { port: address.port, token: relay.token, pid: process.pid });
    try {
      const viewer = await Viewer.open(address.viewerUrl);
      const result = await runCli(['inspect', id, '--all', '--config', config]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`open http://127\\.0\\.0\\.1:${address.port}/`));
      const actor = await viewer.until(
        () => viewer.messages.find((m) => m.type === '@xstate.actor' && m.name === `message-${id} (replay)`),
        'the replay actor',
      );
      await viewer.until(() => replayEvents(viewer, actor).length === historyTypes.length, 'every event');
      assert.deepEqual(replayEvents(viewer, actor), historyTypes);
      const last = viewer
        .ofType('@xstate.snapshot')
        .filter((m) => m.sessionId === actor.sessionId)
        .at(-1);
      assert.equal(last?.snapshot?.value, 'delivered');
      assert.ok(
        !viewer.text.includes(MARKER) && !viewer.text.includes('bob@example.test'),
        'sanitized: no body, addresses masked',
      );
      viewer.close();
    } finally {
      removeAnnouncement(h.dir, relay.token);
      await relay.stop();
    }
  });

  it('without a running relay starts its own, prints the page and serves a late viewer until SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src/cli/run.ts'),
        'inspect',
        id,
        '--all',
        '--port',
        '0',
        '--addresses',
        'show',
        '--config',
        config,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const lines: string[] = [];
      const page = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(line);
          const m = /^serving (http:\/\/127\.0\.0\.1:\d+\/) until interrupted/.exec(line);
          if (m?.[1]) resolve(m[1]);
        });
        void exited.then((code) => reject(new Error(`exited ${code}: ${lines.join('\n')}`)));
      });
      assert.ok(
        lines.some((l) => l.includes(`open ${page}`)),
        lines.join('\n'),
      );
      const viewer = await Viewer.open(page.replace('http://', 'ws://'));
      const actor = await viewer.until(
        () => viewer.messages.find((m) => m.type === '@xstate.actor' && m.name === `message-${id} (replay)`),
        'the retained registration',
      );
      await viewer.until(() => replayEvents(viewer, actor).length === historyTypes.length, 'the retained events');
      assert.deepEqual(replayEvents(viewer, actor), historyTypes);
      assert.ok(viewer.text.includes('bob@example.test'), '--addresses show keeps addresses');
      assert.ok(!viewer.text.includes(MARKER));
      viewer.close();
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits 1 for an unknown id and 64 for --step with --all', async () => {
    const unknown = await runCli(['inspect', 'no-such-id', '--all', '--port', '0', '--config', config]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no message or session no-such-id/);
    const both = await runCli(['inspect', id, '--all', '--step', '10', '--config', config]);
    assert.equal(both.code, 64);
  });
});
