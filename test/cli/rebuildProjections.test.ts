/**
 * `mailtrail rebuild-projections`: after a real queue has delivered, deferred, held, bounced
 * (with its DSN) and deleted messages, a rebuild from the log reproduces exactly the rows the
 * live appends wrote in `messages`, `message_search` and `message_search_rcpt` — even after
 * they were damaged — and keeps `body_removed` (not from events). It refuses while a daemon
 * answers on the control socket. Also the progress line: `\r` updates on a TTY, nothing else.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createBounceSender } from '../../src/bounce/bounceSender.js';
import { progressLine } from '../../src/cli/progressLine.js';
import { ControlServer } from '../../src/control/controlServer.js';
import { controlSocketPath } from '../../src/control/protocol.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { dsnIdFor } from '../../src/mail/queueId.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { runCli, writeCliConfig } from './cliProcess.js';

const TABLES = ['messages', 'message_search', 'message_search_rcpt', 'message_snapshots'];

function snapshot(log: SqliteEventLog): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) out[t] = log.database.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3`).all();
  return out;
}

describe('mailtrail rebuild-projections', () => {
  let h: Harness;
  let config: string;
  let live: Record<string, unknown[]>;
  const cli = (...args: string[]) => runCli([...args, '--config', config]);
  const logPath = () => join(h.dir, 'events.sqlite');

  before(async () => {
    h = await makeHarness({
      queue: {
        onBounce: createBounceSender({ hostname: 'mx.example.test' }),
        retry: { minBackoff: 3_600_000, maxBackoff: 3_600_000, maxLifetime: 86_400_000 },
      },
    });
    config = writeCliConfig(h.dir);
    const enqueue = (sender: string, recipients: string[]) =>
      h.queue.enqueue({ envelope: { sender, recipients }, body: [sampleBody()] });
    const delivered = await enqueue('alice@remote.test', ['bob@example.test']);
    const mixed = await enqueue('Alice@Remote.test', ['bob@example.test', 'carol@remote.test']);
    const held = await enqueue('dave@other.test', ['erin@remote.test']);
    const bounced = await enqueue('frank@other.test', ['gina@remote.test']);
    const deleted = await enqueue('', ['bob@example.test', 'zed@remote.test']);
    await h.waitFor(delivered, ['delivered']);
    for (const id of [mixed, held, bounced, deleted]) await h.waitFor(id, ['deferred']);
    await h.queue.hold(held);
    await h.queue.bounce(bounced);
    await h.waitFor(dsnIdFor(bounced), ['deferred']);
    await h.queue.delete(deleted);
    await h.queue.stop(1000); // no daemon from here on
    // As spool maintenance marks a removed body: state outside the events, kept by a rebuild.
    h.log.database.prepare('UPDATE messages SET body_removed = 1 WHERE id = ?').run(delivered);
    live = snapshot(h.log);
    await h.log.close();
  });
  after(async () => {
    await h.queue.stop(1000); // again, in case `before` failed half-way
    await h.log.close();
    rmSync(h.dir, { recursive: true, force: true });
  });

  it('rebuilds exactly the rows that the live appends produced, even from damaged tables', async () => {
    assert.equal(live.messages!.length, 6); // five and the DSN
    const damage = new SqliteEventLog(logPath());
    damage.database.exec(
      `UPDATE messages SET state = 'bogus'; DELETE FROM message_search_rcpt; UPDATE message_search SET sender = 'x'; UPDATE message_snapshots SET snapshot = '{'`,
    );
    await damage.close();

    const r = await cli('rebuild-projections');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^rebuilt messages \(6 rows\), message_search \(6 rows\), message_search_rcpt \(\d+ rows\), message_snapshots \(\d+ rows\) from \d+ events in \d+\.\d s \(\d+\/s\)\n$/,
    );
    assert.equal(r.stderr, '', 'no progress line when stderr is not a terminal');

    const after = new SqliteEventLog(logPath(), { readonly: true });
    try {
      assert.deepEqual(snapshot(after), live);
    } finally {
      await after.close();
    }
  });

  it('refuses while the daemon answers on the control socket, and changes nothing', async () => {
    const log = new SqliteEventLog(logPath());
    const server = new ControlServer({ path: controlSocketPath(h.dir), queue: {} as never });
    await server.start();
    try {
      log.database.exec(`UPDATE messages SET state = 'marked'`);
      const r = await cli('rebuild-projections');
      assert.equal(r.code, 69);
      assert.match(
        r.stderr,
        /^mailtrail rebuild-projections: refused: the daemon is running \(pid \d+\): it answers on .*control\.sock\. Stop the daemon first/,
      );
      assert.equal(log.database.prepare(`SELECT count(*) FROM messages WHERE state <> 'marked'`).pluck().get(), 0n);
    } finally {
      await server.stop();
      await log.close();
    }
  });
});

describe('progress line', () => {
  it('rewrites one line with \\r on a terminal, at most every 100 ms, and clears it at the end', () => {
    const written: string[] = [];
    let t = 0;
    const p = progressLine({ isTTY: true, write: (s) => written.push(s) }, 'rebuilding:', () => t);
    t = 1000;
    p.update(1000, 4000);
    t = 1050;
    p.update(2000, 4000); // too soon: skipped
    t = 2000;
    p.update(4000, 4000);
    assert.equal(p.finish(), 2000);
    assert.deepEqual(written, [
      '\rrebuilding: 1000/4000 events (25%), 1000/s\x1b[K',
      '\rrebuilding: 4000/4000 events (100%), 2000/s\x1b[K',
      '\r\x1b[K',
    ]);
  });

  it('writes nothing when the output is not a terminal', () => {
    const written: string[] = [];
    const p = progressLine({ isTTY: false, write: (s) => written.push(s) }, 'rebuilding:');
    p.update(10, 10);
    p.finish();
    assert.deepEqual(written, []);
  });
});
