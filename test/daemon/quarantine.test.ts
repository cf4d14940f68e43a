/**
 * An ordinary crash orphan is quarantined with its envelope, never unlinked, and `mailtrail
 * requeue --quarantined` delivers it. The crash is real: the test holds the event log's write
 * lock (BEGIN EXCLUSIVE from a second connection) so the daemon's MessageReceived commit
 * waits, sees the body fsynced in the spool, and SIGKILLs the daemon before any 250. At the
 * next start the body is in spool/quarantine/ (a warning with the count), `mailtrail check`
 * reports it, and requeue through the running daemon delivers it to the Maildir with a
 * history marked recovered=quarantine. A body cut short mid-DATA is quarantined too, and
 * requeue refuses it. Bodies are files here (`spool.inlineThreshold: 0`): an inline body is
 * committed with its event, so it can never be an orphan.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Spool } from '../../src/spool/spool.js';
import { runCli, waitUntil } from '../cli/cliProcess.js';
import { smtpSend } from '../support/smtpClient.js';
import { baseConfig, startDaemon, writeConfig } from '../support/daemonProcess.js';
import { waitUntil as waitFor } from '../support/waitUntil.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-quarantine-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A raw SMTP client that writes each step after the server's reply; returns every reply line. */
function rawSession(port: number, steps: string[]): { socket: Socket; replies: string[]; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  const replies: string[] = [];
  let step = 0;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    replies.push(...d.split('\r\n').filter(Boolean));
    if (step < steps.length) socket.write(steps[step++]!);
  });
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  return { socket, replies, closed };
}

// The test holds the log's write lock from another connection. On the event loop, each of the
// daemon's commits would then block the whole loop for the busy timeout (5 s) and the health
// gate would refuse MAIL; in the writer thread only the commits wait, as the crash needs.
const WRITER_THREAD = 'eventLog: { type: sqlite, writer: thread }\nspool: { inlineThreshold: 0 }\n';

describe('crash orphans', () => {
  it('are quarantined with their envelope and requeue delivers them', async () => {
    const file = writeConfig(dir, baseConfig(dir, WRITER_THREAD));
    const spool = new Spool(join(dir, 'spool'));
    const d = await startDaemon(file);
    // The log must record a message already: an empty log with bodies is a refused start.
    assert.match(
      await smtpSend({
        port: d.port,
        from: 'alice@remote.test',
        to: ['bob@example.test'],
        body: 'Subject: first\r\n\r\nfirst\r\n',
      }),
      /^250 /,
    );

    const lock = new Database(join(dir, 'events.sqlite'), { timeout: 5000 });
    lock.exec('BEGIN EXCLUSIVE');
    const before = new Set(await spool.list());
    const orphanBody = 'Subject: orphan\r\nX-Token: crash-orphan\r\n\r\nwritten, never acknowledged\r\n';
    const session = rawSession(d.port, [
      'EHLO client.test\r\n',
      'MAIL FROM:<carol@remote.test>\r\n',
      'RCPT TO:<dave@example.test>\r\n',
      'DATA\r\n',
      `${orphanBody}.\r\n`,
    ]);
    let orphan: string | undefined;
    await waitUntil(
      () => {
        orphan = readdirSync(join(dir, 'spool', 'bodies')).find((id) => !before.has(id));
        return orphan !== undefined;
      },
      'the body is spooled',
      20_000,
    );
    await waitUntil(
      async () => (await spool.prefixOf(orphan!)).complete === true,
      'the body is complete on disk',
      10_000,
    ).catch(() => undefined);
    assert.equal((await spool.prefixOf(orphan!)).complete, true, 'the body is complete on disk');
    await d.kill('SIGKILL');
    await session.closed;
    assert.equal(
      session.replies.some((l) => l.startsWith('250 ') && l.includes('queued')),
      false,
      'the client never saw 250 for it',
    );
    lock.exec('ROLLBACK');
    lock.close();

    const d2 = await startDaemon(file);
    try {
      // The sweep runs once the daemon listens: its warning follows the listening line.
      const warning = await waitFor(() => d2.lines.find((l) => l.level === 40 && l.quarantined === 1), {
        what: 'a warning with the count',
      });
      assert.ok(d2.lines[0]?.listening, 'the first line is still where the daemon listens');
      assert.match(String(warning.msg), /mailtrail requeue --quarantined/);
      assert.deepEqual(await spool.listQuarantined(), [orphan]);
      assert.equal(existsSync(join(dir, 'spool', 'bodies', orphan!)), false);
      const envelope = await spool.envelopeOf(orphan!, 'quarantine');
      assert.deepEqual(
        { sender: envelope?.sender, recipients: envelope?.recipients },
        { sender: 'carol@remote.test', recipients: ['dave@example.test'] },
      );

      const check = await runCli(['check', '--config', file]);
      assert.equal(check.code, 0, check.stderr);
      assert.match(check.stdout, /quarantine .*: 1 bodies/);
      assert.match(check.stderr, new RegExp(`warning: 1 quarantined bodies \\(${orphan}\\)`));

      const requeue = await runCli(['requeue', '--quarantined', '--config', file]);
      assert.equal(requeue.code, 0, requeue.stderr);
      assert.match(
        requeue.stdout,
        new RegExp(`${orphan}: from <carol@remote.test> to <dave@example.test>: queued again .*via the daemon`),
      );
      const inbox = join(dir, 'mail', 'example.test', 'dave', 'new');
      await waitUntil(
        () => existsSync(inbox) && readdirSync(inbox).length === 1,
        'the requeued message is delivered',
        20_000,
      );
      const delivered = readFileSync(join(inbox, readdirSync(inbox)[0]!), 'utf8');
      assert.match(delivered, /X-Token: crash-orphan/);
      assert.match(delivered, /written, never acknowledged/);
      assert.doesNotMatch(delivered, /mailtrail-envelope/, 'the stored envelope is not part of the message');
      assert.match((await runCli(['history', orphan!, '--config', file])).stdout, /recovered=quarantine/);
      assert.deepEqual(await spool.listQuarantined(), []);
      assert.equal(
        (await runCli(['requeue', '--quarantined', '--config', file])).stdout.trim(),
        'the quarantine is empty: nothing to requeue',
      );
    } finally {
      await d2.kill('SIGTERM');
    }
  });

  it('quarantines a body cut short mid-DATA, and requeue refuses it', async () => {
    const file = writeConfig(dir, baseConfig(dir, WRITER_THREAD));
    const spool = new Spool(join(dir, 'spool'));
    const d = await startDaemon(file);
    const before = new Set(await spool.list());
    // More than one 64 KiB write batch, so part of the body reaches the disk; never a final dot.
    const session = rawSession(d.port, [
      'EHLO client.test\r\n',
      'MAIL FROM:<erin@remote.test>\r\n',
      'RCPT TO:<frank@example.test>\r\n',
      'DATA\r\n',
      `Subject: half\r\n\r\n${'x'.repeat(998)}\r\n`.repeat(200),
    ]);
    let cut: string | undefined;
    await waitUntil(
      () => {
        cut = readdirSync(join(dir, 'spool', 'bodies')).find((id) => !before.has(id));
        return cut !== undefined;
      },
      'the partial body is on disk',
      20_000,
    );
    await d.kill('SIGKILL');
    await session.closed;
    const d2 = await startDaemon(file);
    try {
      await waitFor(async () => (await spool.listQuarantined()).includes(cut!), { what: 'the cut body quarantined' });
      const requeue = await runCli(['requeue', '--quarantined', cut!, '--config', file]);
      assert.equal(requeue.code, 1);
      assert.match(requeue.stderr, new RegExp(`${cut}: not requeued: the body was cut short`));
      assert.ok((await spool.listQuarantined()).includes(cut!), 'it stays in quarantine');
    } finally {
      await d2.kill('SIGTERM');
    }
  });
});
