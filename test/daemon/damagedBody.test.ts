/**
 * A stored body that no longer matches what was received is not delivered. The daemon takes
 * three messages while its relay is down (an SMTP relay on a closed port: every attempt
 * defers) — one large (a body file in the spool), two small (inline, in the log's `bodies`
 * table) — and is stopped. Then, as a bad disk, a careless edit or a half-restored backup
 * would: the file is altered and cut short, and one inline body is overwritten. Restarted with
 * a Maildir relay, the daemon delivers the intact message only; each damaged one is held (its
 * history says why: sizes and sha256 against MessageReceived's), logged at error level, and
 * kept for the operator, who can still delete it. `mailtrail check --bodies` finds both
 * beforehand.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { smtpSend } from '../support/smtpClient.js';
import { baseConfig, runEntry, startDaemon, tsxLoader, writeConfig } from '../support/daemonProcess.js';
import { waitUntil } from '../support/waitUntil.js';
import { closedPort } from '../support/closedPort.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-damaged-body-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const queuedId = (reply: string) => /queued as (\S+)/.exec(reply)![1]!;

function states(): Map<string, string> {
  const db = new Database(join(dir, 'events.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT id, state FROM messages').all() as { id: string; state: string }[];
    return new Map(rows.map((r) => [r.id, r.state]));
  } finally {
    db.close();
  }
}

const cli = (...args: string[]) =>
  execFileSync(process.execPath, ['--import', tsxLoader, runEntry, ...args, '--config', join(dir, 'mailtrail.yaml')], {
    encoding: 'utf8',
  });

/** `mailtrail check --bodies`: its exit status and both outputs (it exits 1 on a problem). */
function checkBodies(): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', tsxLoader, runEntry, 'check', '--bodies', '--config', join(dir, 'mailtrail.yaml')],
    { encoding: 'utf8' },
  );
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('a damaged body in the spool or the log', () => {
  it('is held with the reason, never delivered; the intact message is delivered', async () => {
    const down = `relay: { type: smtp, host: 127.0.0.1, port: ${await closedPort()}, mx: false, starttls: never }`;
    const d = await startDaemon(writeConfig(dir, baseConfig(dir).replace(/^relay: .*$/m, down)));
    const send = (to: string, body: string) =>
      smtpSend({ port: d.port, from: 'alice@remote.test', to: [to], body }).then(queuedId);
    const big = await send('big@example.test', `Subject: big\r\n\r\n${'b'.repeat(100)}\r\n`.repeat(1000));
    const small = await send('small@example.test', 'Subject: small\r\n\r\nsmall body\r\n');
    const intact = await send('intact@example.test', 'Subject: intact\r\n\r\nintact body\r\n');
    await waitUntil(() => [big, small, intact].every((id) => states().get(id) === 'deferred'), {
      what: 'all three deferred by the relay that is down',
    });
    assert.equal(await d.kill('SIGTERM'), 0);

    // The large body is a file: a few bytes changed and its end cut off.
    const file = join(dir, 'spool', 'bodies', big);
    assert.ok(existsSync(file), 'the large body is a spool file');
    const bytes = readFileSync(file);
    bytes.write('DAMAGED', bytes.length - 40_000);
    writeFileSync(file, bytes);
    truncateSync(file, bytes.length - 20_000);
    // The small one is a row of the log's `bodies` table: overwritten with other text.
    const db = new Database(join(dir, 'events.sqlite'));
    try {
      const changed = db
        .prepare('UPDATE bodies SET data = ? WHERE id = ?')
        .run(Buffer.from('Subject: small\r\n\r\nsomething else\r\n'), small);
      assert.equal(changed.changes, 1, 'the small body is inline');
    } finally {
      db.close();
    }

    // `check` finds every body present; `check --bodies` reads them back and names the two.
    assert.match(cli('check'), /mailtrail check: ok/);
    const checked = checkBodies();
    assert.equal(checked.status, 1);
    assert.match(checked.stdout, /3 live bodies read back: 2 differ from what was received/, checked.stderr);
    assert.match(checked.stderr, /problem: 2 live messages have a body that differs/);
    for (const id of [big, small]) assert.ok(checked.stderr.includes(id), `${id} is named`);
    assert.ok(!checked.stderr.includes(intact), 'the intact one is not');

    const again = await startDaemon(writeConfig(dir, baseConfig(dir)));
    try {
      await waitUntil(() => states().get(intact) === 'delivered', { what: 'the intact message delivered' });
      await waitUntil(() => states().get(big) === 'held' && states().get(small) === 'held', {
        what: 'both damaged messages held',
      });
      const mail = join(dir, 'mail', 'example.test');
      assert.deepEqual(readdirSync(mail).sort(), ['intact'], 'only the intact message reached a mailbox');
      const errors = again.lines.filter((l) => l.level === 50 && /stored body differs/.test(String(l.msg)));
      assert.deepEqual(errors.map((l) => l.messageId).sort(), [big, small].sort());
      const history = cli('history', big);
      assert.match(history, /MessageHeld .*held/);
      assert.match(history, /body damaged: .* holds \d+ bytes with sha256 [0-9a-f]{64}, received as \d+ bytes/);
      assert.match(cli('history', small), /body damaged: inline\//);
      // The queue listing says who held them and why, not the relay's last refusal.
      const queue = cli('queue');
      assert.match(queue, new RegExp(`^${big}\\s+held\\s.*on hold`, 'm'));
      assert.match(queue, /^ {2}held by mailtrail: body damaged: .*received as \d+ bytes/m);
      // Kept until the operator decides: deleting it works as for any held message.
      cli('delete', small);
      await waitUntil(() => states().get(small) === 'deleted', { what: 'the damaged message deleted' });
    } finally {
      assert.equal(await again.kill('SIGTERM'), 0);
    }
  });
});
