/**
 * smtp.reverseLookup (Postfix's smtpd_peername_lookup): by default the daemon looks each
 * client up in the reverse DNS and names it in the `connect` log line and the `Received:`
 * header; `false` skips the lookup, and the client is `unknown` there. The default's half is
 * checked wherever the machine names 127.0.0.1 itself (/etc/hosts: `localhost` on a Debian
 * install), so a daemon that ignored the key fails the test on such a machine.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smtpSend } from '../support/smtpClient.js';
import { baseConfig, startDaemon, writeConfig } from '../support/daemonProcess.js';
import { waitUntil } from '../support/waitUntil.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs a daemon with `smtpExtra` in its smtp mapping, sends one message; its connect line and delivered file. */
async function oneMessage(smtpExtra: string): Promise<{ connect: Record<string, unknown>; delivered: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-rdns-'));
  dirs.push(dir);
  const config = baseConfig(dir).replace('  domains: [example.test]\n', `  domains: [example.test]\n${smtpExtra}`);
  const d = await startDaemon(writeConfig(dir, config));
  try {
    const reply = await smtpSend({
      port: d.port,
      from: 'alice@remote.test',
      to: ['bob@example.test'],
      body: 'Subject: rdns\r\n\r\nhello\r\n',
    });
    assert.match(reply, /^250 /);
    const newDir = join(dir, 'mail', 'example.test', 'bob', 'new');
    const file = await waitUntil(() => existsSync(newDir) && readdirSync(newDir)[0], { timeoutMs: 15_000 });
    const connect = d.lines.find((l) => l.msg === 'connect');
    assert.ok(connect, 'a connect line was logged');
    return { connect, delivered: readFileSync(join(newDir, file), 'utf8') };
  } finally {
    await d.kill();
  }
}

describe('smtp.reverseLookup', () => {
  it('false: no lookup, the client is unknown in the Received header and unnamed in the log', async () => {
    const { connect, delivered } = await oneMessage('  reverseLookup: false\n');
    assert.equal(connect.rdns, undefined);
    assert.match(delivered, /^Received: from \S+ \(unknown \[127\.0\.0\.1\]\)/m);
  });

  it('by default: the name the resolver gives for 127.0.0.1, where it gives one', async () => {
    const names = await dns.reverse('127.0.0.1').catch(() => [] as string[]);
    const { connect, delivered } = await oneMessage('');
    if (names.length === 0) {
      // No name on this machine: the default must still deliver, naming nobody.
      assert.equal(connect.rdns, undefined);
      return;
    }
    assert.equal(connect.rdns, names[0]);
    assert.match(
      delivered,
      new RegExp(`^Received: from \\S+ \\(${names[0]!.replace(/\./g, '\\.')} \\[127\\.0\\.0\\.1\\]\\)`, 'm'),
    );
  });
});
