/**
 * The daemon started on a damaged event log (one table's root page overwritten, as a bad disk
 * or a careless copy would leave it; SQLite opens such a file and fails only where it meets
 * the damage). The first message that meets it is refused with 451 4.3.0 at the end of DATA,
 * never 250; from then on every client is refused at MAIL, although appends elsewhere in the
 * file (the session's) still succeed: a damaged file does not heal. The log says so once, at
 * fatal level, with what to do; the daemon stays up (clients retry, queued mail is delivered)
 * and stops cleanly.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smtpSend } from '../support/smtpClient.js';
import { baseConfig, startDaemon, writeConfig } from '../support/daemonProcess.js';
import { damageRootPage } from '../support/damagedSqlite.js';
import { waitUntil } from '../support/waitUntil.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-damaged-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const send = (port: number, n: number) =>
  smtpSend({ port, from: 'alice@remote.test', to: ['bob@example.test'], body: `Subject: ${n}\r\n\r\nbody ${n}\r\n` });

/** The refusal nodemailer saw: the command it answered and the reply. */
async function refusal(sending: Promise<string>): Promise<{ command: string; reply: string }> {
  const err = (await sending.then(
    (reply) => assert.fail(`accepted: ${reply}`),
    (e: unknown) => e,
  )) as { command?: string; response?: string };
  return { command: String(err.command), reply: String(err.response) };
}

describe('a damaged event log under the running daemon', () => {
  it('refuses mail with 451 4.3.0 from the first damaged append on, says so once, and stops cleanly', async () => {
    const config = writeConfig(dir, baseConfig(dir));
    const first = await startDaemon(config);
    assert.match(await send(first.port, 1), /^250 /);
    const newDir = join(dir, 'mail', 'example.test', 'bob', 'new');
    await waitUntil(() => existsSync(newDir) && readdirSync(newDir).length === 1, { what: 'the first delivery' });
    assert.equal(await first.kill('SIGTERM'), 0);

    damageRootPage(join(dir, 'events.sqlite'), 'message_search');

    const d = await startDaemon(config);
    try {
      const atData = await refusal(send(d.port, 2));
      assert.equal(atData.command, 'DATA');
      assert.match(atData.reply, /^451 4\.3\.0 /);
      // The session's own appends go on succeeding; the gate stays shut all the same.
      for (let n = 3; n <= 4; n++) {
        const atMail = await refusal(send(d.port, n));
        assert.equal(atMail.command, 'MAIL FROM');
        assert.match(atMail.reply, /^451 4\.3\.0 /);
      }
      const fatal = d.lines.filter((l) => l.level === 60);
      assert.equal(fatal.length, 1, JSON.stringify(fatal));
      assert.match(String(fatal[0]!.msg), /the event log is damaged: .*mailtrail check.*A damaged event log/);
      assert.equal((fatal[0]!.err as { code?: string }).code, 'ERR_EVENTLOG_DAMAGED');
    } finally {
      assert.equal(await d.kill('SIGTERM'), 0, 'a clean stop');
    }
    assert.equal(readdirSync(newDir).length, 1, 'nothing else was delivered');
  });
});
