/**
 * The control socket's `enqueue` (the pickup behind `mailtrail sendmail`), on raw unix-socket
 * connections to a ControlServer in front of a real queue: the message bytes after the line are
 * stored exactly (8-bit, CRLF); requests pipelined behind a payload are answered in order; a bad
 * line, a message over the size limit and a connection closed mid-message get a clear answer or
 * nothing queued, and the server goes on serving.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { ControlServer } from '../../src/control/controlServer.js';
import { controlSocketPath, ControlCodes, type ControlReply } from '../../src/control/protocol.js';
import { sendControl } from '../../src/control/controlClient.js';
import { loadHistory } from '../../src/replay/history.js';
import { makeHarness, type Harness } from '../support/queueHarness.js';

/** Writes `chunks` on one connection, half-closes if asked, and collects `replies` reply lines. */
function exchange(
  path: string,
  chunks: readonly (string | Buffer)[],
  replies: number,
  end = true,
): Promise<ControlReply[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`only got: ${text}`));
    }, 10_000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const lines = text.split('\n').filter(Boolean);
      if (lines.length >= replies) {
        clearTimeout(timer);
        socket.destroy();
        resolve(lines.map((l) => JSON.parse(l) as ControlReply));
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(
        text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as ControlReply),
      );
    });
    socket.on('error', reject);
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      if (end) socket.end();
    });
  });
}

const line = (o: object): string => `${JSON.stringify(o)}\n`;

describe('control socket: enqueue', () => {
  let h: Harness;
  let server: ControlServer;
  let path: string;
  before(async () => {
    h = await makeHarness({ queue: { maxMessageSize: 2000 } });
    path = controlSocketPath(h.dir);
    server = new ControlServer({ path, queue: h.queue });
    await server.start();
  });
  after(async () => {
    await server.stop();
    await h.close();
  });

  it('stores the bytes after the line exactly, and answers a ping pipelined behind them', async () => {
    const body = Buffer.concat([
      Buffer.from('Subject: caf\xe9\r\n\r\n', 'latin1'),
      Buffer.from([0x80, 0xff, 0x0d, 0x0a, 0x2e, 0x0d, 0x0a]),
    ]);
    const [queued, pong] = await exchange(
      path,
      [
        line({ op: 'enqueue', sender: 'cron@example.test', recipients: ['bob@example.test'], size: body.length }),
        body.subarray(0, 5),
        Buffer.concat([body.subarray(5), Buffer.from(line({ op: 'ping' }))]),
      ],
      2,
    );
    assert.ok(queued?.ok && typeof queued.id === 'string', JSON.stringify(queued));
    assert.ok(pong?.ok && pong.pid === process.pid);
    const id = (queued as { id: string }).id;
    const received = (await loadHistory(h.log, id))?.entries[0]?.data;
    assert.equal(received?.origin, 'local');
    const stored: Buffer[] = [];
    for await (const chunk of h.spool.open(String(received?.bodyRef))) stored.push(Buffer.from(chunk as Buffer));
    assert.deepEqual(Buffer.concat(stored), body);
  });

  it('answers a bad enqueue line with ERR_CONTROL_BAD_REQUEST and keeps the connection', async () => {
    const replies = await exchange(
      path,
      [
        line({ op: 'enqueue', sender: 'a@example.test', recipients: [], size: 3 }),
        line({ op: 'enqueue', sender: 'x y@z', recipients: ['b@example.test'], size: 1 }),
        line({ op: 'ping' }),
      ],
      3,
    );
    assert.equal(replies.length, 3);
    assert.ok(!replies[0]!.ok && replies[0]!.code === ControlCodes.badRequest && /recipients/.test(replies[0]!.error));
    assert.ok(!replies[1]!.ok && replies[1]!.code === ControlCodes.badRequest && /sender/.test(replies[1]!.error));
    assert.ok(replies[2]!.ok);
  });

  it('refuses a message over the size limit, reads past it, and goes on', async () => {
    const big = Buffer.alloc(5000, 'a');
    const replies = await exchange(
      path,
      [
        line({ op: 'enqueue', sender: '', recipients: ['bob@example.test'], size: big.length }),
        big,
        line({ op: 'ping' }),
      ],
      2,
    );
    assert.ok(!replies[0]!.ok && replies[0]!.code === ControlCodes.refused, JSON.stringify(replies[0]));
    assert.ok(replies[1]!.ok && replies[1]!.pid === process.pid);
  });

  it('queues nothing when the client leaves in the middle of the message', async () => {
    const before = h.log.database
      .prepare("SELECT count(*) FROM events WHERE type = 'MessageReceived'")
      .pluck()
      .get() as number;
    const replies = await exchange(
      path,
      [
        line({ op: 'enqueue', sender: 'a@example.test', recipients: ['bob@example.test'], size: 1000 }),
        'Subject: cut\r\n',
      ],
      1,
    );
    assert.ok(replies.length === 0 || !replies[0]!.ok);
    assert.ok((await sendControl(path, { op: 'ping' }, 5000)).ok, 'the server still answers');
    assert.equal(
      h.log.database.prepare("SELECT count(*) FROM events WHERE type = 'MessageReceived'").pluck().get(),
      before,
    );
  });
});
