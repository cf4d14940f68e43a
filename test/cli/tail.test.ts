/**
 * `mailtrail tail` against a data directory a real queue is writing (the queue runs in this
 * process, the CLI is a child reading the log read-only): the last N events, JSON lines, the
 * filters by message, sender, recipient and type, and --follow printing new events of a
 * message it learned about while running, ending cleanly (exit 0) on SIGTERM and SIGINT.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { runCli, writeCliConfig } from './cliProcess.js';
import { followCli, type FollowedCli } from './followCli.js';

const LINE = /^(\S+Z) {2}(message-\S+|session-\S+) {2}(\w+)\s+(\S+)\s+(.*)$/;

describe('mailtrail tail', () => {
  let h: Harness;
  let config: string;
  let toCarol: string;
  let fromDave: string;
  const followers: FollowedCli[] = [];
  const cli = (...args: string[]) => runCli([...args, '--config', config]);
  const enqueue = (sender: string, recipients: string[]) =>
    h.queue.enqueue({ envelope: { sender, recipients }, body: [sampleBody()] });

  before(async () => {
    h = await makeHarness({
      queue: { retry: { minBackoff: 3_600_000, maxBackoff: 3_600_000, maxLifetime: 86_400_000 } },
    });
    config = writeCliConfig(h.dir);
    toCarol = await enqueue('alice@remote.test', ['carol@remote.test']);
    await h.waitFor(toCarol, ['deferred']);
    fromDave = await enqueue('Dave@Other.test', ['bob@example.test']);
    await h.waitFor(fromDave, ['delivered']);
  });
  after(async () => {
    for (const f of followers) f.stop();
    await h.close();
  });

  it('prints the last N events, one line each with time, stream, type, state and a summary', async () => {
    const r = await cli('tail', '-n', '3');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    const last = LINE.exec(lines[2]!);
    assert.ok(last, lines[2]);
    assert.equal(last[2], `message-${fromDave}`);
    assert.equal(last[3], 'DeliverySucceeded');
    assert.equal(last[4], 'delivered');
    assert.match(last[5]!, /to=<bob@example\.test>, relay=maildir, dsn=2\.0\.0, status=delivered/);
  });

  it('prints every event with -n all, and one JSON object per line with --json', async () => {
    const all = await cli('tail', '-n', 'all', '--json');
    assert.equal(all.code, 0, all.stderr);
    const events = all.stdout
      .trimEnd()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            position: string;
            stream: string;
            type: string;
            state: string;
            data: Record<string, unknown>;
          },
      );
    assert.equal(events[0]?.type, 'MessageReceived');
    assert.deepEqual(
      events.map((e) => Number(e.position)),
      [...events.map((e) => Number(e.position))].sort((a, b) => a - b),
    );
    const received = events.find((e) => e.stream === `message-${toCarol}` && e.type === 'MessageReceived');
    assert.equal(received?.state, 'received');
    assert.deepEqual(received?.data.recipients, ['carol@remote.test']);
  });

  it('filters by message, by sender (any case, or its domain), by recipient and by type', async () => {
    const streamsOf = (out: string) =>
      new Set(
        out
          .trimEnd()
          .split('\n')
          .map((l) => LINE.exec(l)?.[2]),
      );
    assert.deepEqual(
      streamsOf((await cli('tail', '-n', 'all', '--message', toCarol)).stdout),
      new Set([`message-${toCarol}`]),
    );
    assert.deepEqual(
      streamsOf((await cli('tail', '-n', 'all', '--from', 'dave@other.test')).stdout),
      new Set([`message-${fromDave}`]),
    );
    assert.deepEqual(
      streamsOf((await cli('tail', '-n', 'all', '--from', '@other.test')).stdout),
      new Set([`message-${fromDave}`]),
    );
    assert.deepEqual(
      streamsOf((await cli('tail', '-n', 'all', '--to', 'remote.test')).stdout),
      new Set([`message-${toCarol}`]),
    );
    const types = await cli('tail', '-n', 'all', '--type', 'DeliveryDeferred', '--type', 'DeliverySucceeded');
    assert.deepEqual(
      types.stdout
        .trimEnd()
        .split('\n')
        .map((l) => LINE.exec(l)?.[3]),
      ['DeliveryDeferred', 'DeliverySucceeded'],
    );
    const none = await cli('tail', '--from', 'nobody@nowhere.test');
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '');
  });

  it('-n counts the events that pass the filters', async () => {
    const r = await cli('tail', '-n', '2', '--message', toCarol);
    assert.deepEqual(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => LINE.exec(l)?.[3]),
      ['RelayAttempted', 'DeliveryDeferred'],
    );
  });

  it('rejects a bad -n with a usage error', async () => {
    const r = await cli('tail', '-n', 'lots');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /-n takes a number or "all"/);
  });

  it('--follow prints the events of a new message to the recipient as the queue appends them, and SIGTERM ends it with exit 0', async () => {
    const first = await enqueue('alice@remote.test', ['erin@remote.test']);
    await h.waitFor(first, ['deferred']);
    const f = followCli(['tail', '--follow', '-n', '1', '--to', 'erin@remote.test', '--config', config]);
    followers.push(f);
    await f.waitForLine(new RegExp(`message-${first}  DeliveryDeferred`)); // caught up: now live
    const other = await enqueue('alice@remote.test', ['frank@remote.test']);
    const second = await enqueue('zoe@remote.test', ['Erin@Remote.test']); // unknown when tail started
    await h.waitFor(second, ['deferred']);
    await h.waitFor(other, ['deferred']);
    const received = await f.waitForLine(new RegExp(`message-${second}  MessageReceived`));
    assert.match(received, /from=<zoe@remote\.test> to=<Erin@Remote\.test>/);
    await f.waitForLine(new RegExp(`message-${second}  DeliveryDeferred\\s+deferred`));
    f.child.kill('SIGTERM');
    assert.equal(await f.exited, 0, f.stderr());
    assert.ok(!f.lines.some((l) => l.includes(other)), 'a message to another recipient is not shown');
    assert.equal(f.stderr(), '');
  });

  it('--follow --json --message shows the live events of that message and stops on SIGINT', async () => {
    const id = await enqueue('alice@remote.test', ['gina@remote.test']);
    await h.waitFor(id, ['deferred']);
    const f = followCli(['tail', '-f', '--json', '-n', '1', '--message', id, '--config', config]);
    followers.push(f);
    await f.waitForLine(/"type":"DeliveryDeferred"/); // caught up: now live
    await h.queue.hold(id);
    await f.waitForLine(/"type":"MessageHeld"/);
    const event = JSON.parse(f.lines.find((l) => l.includes('"MessageHeld"'))!) as { stream: string; state: string };
    assert.deepEqual([event.stream, event.state], [`message-${id}`, 'held']);
    f.child.kill('SIGINT');
    assert.equal(await f.exited, 0, f.stderr());
  });
});
