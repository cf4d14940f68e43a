/**
 * Crash safety: the daemon runs as a child process, several clients send mail, and the daemon
 * is SIGKILLed mid-load (and once with a client stopped half-way through DATA) three times,
 * restarted each time on the same data directory. In the end every message whose 250 a client
 * saw is in its Maildir; duplicates (a delivery whose outcome the crash lost) are counted and
 * reported, none is lost. It runs at the default configuration, with small bodies inline in
 * the log's transaction (spool.inlineThreshold), and checks that no body file was written.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { smtpSend } from '../support/smtpClient.js';
import { baseConfig, startDaemon, writeConfig, type DaemonProcess } from '../support/daemonProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client that sends MAIL, RCPT, DATA and half a body, then stalls (killed with the daemon). */
function halfData(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    let step = 0;
    const script = [
      'EHLO half.test\r\n',
      'MAIL FROM:<half@remote.test>\r\n',
      'RCPT TO:<half@example.test>\r\n',
      'DATA\r\n',
      'Subject: half\r\n\r\nthe first half of a body and never a dot\r\n',
    ];
    s.on('data', () => {
      if (step < script.length) s.write(script[step++]!);
    });
  });
}

describe('crash safety', () => {
  it('loses no acknowledged message across repeated SIGKILLs, mid-load and mid-DATA', async (t) => {
    const config = writeConfig(dir, baseConfig(dir));
    const acknowledged = new Set<string>();
    let refusedOrCut = 0;
    for (let round = 0; round < 3; round++) {
      const d: DaemonProcess = await startDaemon(config);
      let stop = false;
      const client = async (c: number) => {
        for (let n = 0; !stop; n++) {
          const token = `r${round}c${c}n${n}`;
          try {
            const reply = await smtpSend({
              port: d.port,
              from: 'alice@remote.test',
              to: [`user${c}@example.test`],
              body: `Subject: ${token}\r\nX-Token: ${token}\r\n\r\n${token}\r\n`,
            });
            if (/^250 /.test(reply)) acknowledged.add(token);
          } catch {
            refusedOrCut += 1;
            return;
          }
        }
      };
      const clients = [0, 1, 2, 3].map(client);
      const half = round === 1 ? halfData(d.port) : Promise.resolve();
      // Kill once this round has had some messages acknowledged, while the clients keep sending.
      const target = acknowledged.size + 8 + round * 2;
      for (let i = 0; i < 800 && acknowledged.size < target; i++) await sleep(25);
      stop = true;
      d.child.kill('SIGKILL');
      await d.exited;
      await Promise.all([...clients, half]);
    }
    // A last run to let the queue finish what the crashes interrupted.
    const final = await startDaemon(config);
    const log = new SqliteEventLog(join(dir, 'events.sqlite'), { readonly: true });
    try {
      for (let i = 0; i < 400; i++) {
        const live = log.database.prepare('SELECT count(*) AS n FROM messages WHERE live = 1').get() as { n: number };
        if (Number(live.n) === 0) break;
        await sleep(25);
      }
    } finally {
      await log.close();
      await final.kill('SIGTERM');
    }
    const seen = new Map<string, number>();
    for (let c = 0; c < 4; c++) {
      const newDir = join(dir, 'mail', 'example.test', `user${c}`, 'new');
      if (!existsSync(newDir)) continue;
      for (const f of readdirSync(newDir)) {
        const token = /X-Token: (\S+)/.exec(readFileSync(join(newDir, f), 'utf8'))?.[1];
        if (token) seen.set(token, (seen.get(token) ?? 0) + 1);
      }
    }
    const lost = [...acknowledged].filter((tok) => !seen.has(tok));
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    t.diagnostic(
      `acknowledged ${acknowledged.size}, delivered ${seen.size} distinct, duplicates ${duplicates}, clients cut by the kills ${refusedOrCut}`,
    );
    assert.ok(
      acknowledged.size >= 20,
      `only ${acknowledged.size} messages were acknowledged: the load was too light to prove anything`,
    );
    assert.deepEqual(lost, [], `acknowledged but not delivered: ${lost.join(', ')}`);
    // Run at the default configuration: small bodies inline in the log (spool.inlineThreshold).
    assert.deepEqual(readdirSync(join(dir, 'spool', 'bodies')), [], 'the bodies were inline: no body file');
    assert.equal(
      existsSync(join(dir, 'mail', 'example.test', 'half', 'new')) &&
        readdirSync(join(dir, 'mail', 'example.test', 'half', 'new')).length > 0,
      false,
      'a half-received message was delivered',
    );
  });
});
