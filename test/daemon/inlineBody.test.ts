/**
 * An inline body (spool.inlineThreshold, default 64 KiB) survives kill -9: the daemon takes
 * messages while its relay is down (an SMTP relay on a closed port: every attempt defers), is
 * SIGKILLed, and restarted with a Maildir relay; each acknowledged message is delivered with
 * its body byte for byte. No body file was ever written: the bodies live in the log's
 * `bodies` table, committed with their MessageReceived. `mailtrail show` reads them too.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { smtpSend } from '../support/smtpClient.js';
import { closedPort } from '../support/closedPort.js';
import { baseConfig, runEntry, startDaemon, tsxLoader, writeConfig } from '../support/daemonProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-inline-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('inline bodies across kill -9', () => {
  it('an acknowledged inline body survives SIGKILL and is delivered after restart', async () => {
    const down = `relay: { type: smtp, host: 127.0.0.1, port: ${await closedPort()}, mx: false, starttls: never }\n`;
    // baseConfig's maildir relay comes first; the later `relay:` key of the first run replaces it.
    const first = writeConfig(dir, baseConfig(dir).replace(/^relay: .*$/m, down.trim()));
    const d = await startDaemon(first);
    const bodies = new Map<string, string>();
    for (let i = 1; i <= 3; i++) {
      const body = `Subject: inline ${i}\r\nX-Token: t${i}\r\n\r\nline one of ${i}\r\n${'z'.repeat(1000 * i)}\r\n`;
      const reply = await smtpSend({ port: d.port, from: 'alice@remote.test', to: [`user${i}@example.test`], body });
      assert.match(reply, /^250 /);
      bodies.set(`t${i}`, body);
    }
    // Let the first attempts fail (deferred), then crash.
    const log = new SqliteEventLog(join(dir, 'events.sqlite'), { readonly: true });
    try {
      for (let i = 0; i < 400; i++) {
        const n = log.database.prepare("SELECT count(*) AS n FROM messages WHERE state = 'deferred'").get() as {
          n: bigint;
        };
        if (Number(n.n) === 3) break;
        await sleep(25);
      }
      assert.equal(
        Number(
          (log.database.prepare("SELECT count(*) AS n FROM messages WHERE state = 'deferred'").get() as { n: bigint })
            .n,
        ),
        3,
        'all three deferred before the crash',
      );
    } finally {
      await log.close();
    }
    d.child.kill('SIGKILL');
    await d.exited;
    assert.deepEqual(readdirSync(join(dir, 'spool', 'bodies')), [], 'no body file: the bodies are inline');

    const after = await startDaemon(writeConfig(dir, baseConfig(dir)));
    try {
      const delivered = new Map<string, string>();
      for (let i = 0; i < 600 && delivered.size < 3; i++) {
        for (let u = 1; u <= 3; u++) {
          const newDir = join(dir, 'mail', 'example.test', `user${u}`, 'new');
          if (!existsSync(newDir)) continue;
          for (const f of readdirSync(newDir)) {
            const text = readFileSync(join(newDir, f), 'utf8');
            const token = /X-Token: (\S+)/.exec(text)?.[1];
            if (token) delivered.set(token, text);
          }
        }
        if (delivered.size < 3) await sleep(25);
      }
      assert.deepEqual([...delivered.keys()].sort(), ['t1', 't2', 't3']);
      for (const [token, body] of bodies) {
        // The Maildir copy has LF line endings and the policies' headers on top.
        assert.ok(
          delivered.get(token)!.endsWith(body.replaceAll('\r\n', '\n')),
          `${token}: the delivered message ends with the body as received`,
        );
      }
      // The CLI reads an inline body from the log as well.
      const id = /"id":\s*"([^"]+)"/.exec(
        execFileSync(
          process.execPath,
          ['--import', tsxLoader, runEntry, 'queue', '--all', '--json', '--config', join(dir, 'mailtrail.yaml')],
          { encoding: 'utf8' },
        ),
      )?.[1];
      assert.ok(id, 'mailtrail queue --all --json lists the messages');
      const raw = execFileSync(
        process.execPath,
        ['--import', tsxLoader, runEntry, 'show', id, '--raw', '--config', join(dir, 'mailtrail.yaml')],
        { encoding: 'utf8' },
      );
      assert.match(raw, /X-Token: t\d/);
    } finally {
      await after.kill('SIGTERM');
    }
  });
});
