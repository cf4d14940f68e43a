/**
 * The spool's orphan sweep runs after the daemon listens (it reads every body's name, so a full
 * spool would otherwise keep SMTP waiting). A restart with a deferred message and 20,000
 * orphan bodies in the spool: the first log line is still the one saying where the daemon
 * listens; messages accepted at once, while the sweep moves the orphans, are delivered into
 * the Maildir and their bodies never quarantined; every orphan is quarantined (none deleted),
 * with the warning naming the count; the deferred message is still scheduled. Bodies are files
 * here (`spool.inlineThreshold: 0`), as they are for bodies above the threshold.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Spool } from '../../src/spool/spool.js';
import { runCli } from '../cli/cliProcess.js';
import { startDaemon, writeConfig } from '../support/daemonProcess.js';
import { smtpSend } from '../support/smtpClient.js';
import { waitUntil } from '../support/waitUntil.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-startup-sweep-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ORPHANS = 20_000;
const ACCEPTED = 5;

// later.test's relay defers every message (EX_TEMPFAIL), an hour before each retry.
const config = `hostname: mx.example.test
dataDir: ${dir}
smtp:
  listen: 127.0.0.1:0
  domains: [example.test, later.test]
relay: { type: maildir, root: ${join(dir, 'mail')} }
routes:
  later.test: { type: pipe, command: [/bin/sh, -c, "exit 75"] }
spool: { inlineThreshold: 0 }
queue: { retry: { minBackoff: 1h, maxBackoff: 2h, maxLifetime: 5d } }
log: { level: info }
`;

const queuedId = (reply: string): string => /queued as (\S+)/.exec(reply)![1]!;

describe('the spool sweep after listening', () => {
  it('never quarantines mail accepted while it runs, and still quarantines every orphan', async (t) => {
    const file = writeConfig(dir, config);
    const d1 = await startDaemon(file);
    const deferred = queuedId(
      await smtpSend({
        port: d1.port,
        from: 'alice@remote.test',
        to: ['x@later.test'],
        body: 'Subject: later\r\n\r\ndeferred\r\n',
      }),
    );
    await waitUntil(() => d1.lines.some((l) => l.status === 'deferred'), { what: 'the first attempt to defer' });
    assert.equal(await d1.kill('SIGTERM'), 0);

    // Crash orphans as an earlier run may leave them: bodies no MessageReceived names.
    const bodies = join(dir, 'spool', 'bodies');
    for (let i = 0; i < ORPHANS; i++) writeFileSync(join(bodies, `orphan${i}`), `Subject: orphan ${i}\r\n\r\nx\r\n`);

    const d2 = await startDaemon(file);
    try {
      assert.ok(d2.lines[0]?.listening, "the first line is still the daemon's listening line");
      const replies = await Promise.all(
        Array.from({ length: ACCEPTED }, (_, i) =>
          smtpSend({
            port: d2.port,
            from: 'alice@remote.test',
            to: [`user${i}@example.test`],
            body: `Subject: during the sweep ${i}\r\nX-Token: sweep-${i}\r\n\r\naccepted at once\r\n`,
          }),
        ),
      );
      const swept = () => d2.lines.find((l) => l.level === 40 && typeof l.quarantined === 'number');
      t.diagnostic(`the sweep had ${swept() ? '' : 'not '}ended when the last 250 came`);
      const ids = replies.map(queuedId);

      const warning = await waitUntil(swept, { what: 'the sweep to report', timeoutMs: 120_000 });
      assert.equal(warning.quarantined, ORPHANS);
      for (let i = 0; i < ACCEPTED; i++) {
        const inbox = join(dir, 'mail', 'example.test', `user${i}`, 'new');
        await waitUntil(() => existsSync(inbox) && readdirSync(inbox).length === 1, {
          what: `user${i}'s message delivered`,
        });
        assert.match(readFileSync(join(inbox, readdirSync(inbox)[0]!), 'utf8'), new RegExp(`X-Token: sweep-${i}`));
      }
      const spool = new Spool(join(dir, 'spool'));
      const quarantined = await spool.listQuarantined();
      assert.equal(quarantined.length, ORPHANS, 'every orphan quarantined, none deleted');
      assert.ok(
        quarantined.every((name) => name.startsWith('orphan')),
        'nothing but the orphans',
      );
      for (const id of [...ids, deferred]) assert.ok(spool.holds(id, 'bodies'), `${id}'s body stays in bodies/`);

      const queue = JSON.parse((await runCli(['queue', '--json', '--config', file])).stdout) as {
        id: string;
        state: string;
        nextAttemptAt: string | null;
      }[];
      const later = queue.find((m) => m.id === deferred);
      assert.equal(later?.state, 'deferred');
      assert.ok(later?.nextAttemptAt, 'the deferred message still has its next attempt');
      assert.equal(d2.lines.filter((l) => l.level === 50).length, 0, 'no error logged');
    } finally {
      await d2.kill('SIGTERM');
    }
  });
});
