/**
 * examples/mda.ts — the tutorial as a program — run as a child process and used for real:
 * mail is delivered by the real maildrop into a Maildir, the GTUBE test message is tagged by a
 * real spamd and filed by maildrop into the .Spam quarantine folder, and MyValidators refuses
 * recipients at domains it does not host with the tutorial's reply.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smtpSend } from '../support/smtpClient.js';
import { tsxLoader } from '../support/daemonProcess.js';
import { startSpamd, type RunningSpamd } from '../policies/spamdServer.js';

const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';
const dir = mkdtempSync(join(tmpdir(), 'mailtrail-example-'));
const maildir = join(dir, 'Maildir');
let spamd: RunningSpamd;
let child: ChildProcess;
let port = 0;

const waitForFiles = async (at: string, n = 1): Promise<string[]> => {
  for (let i = 0; i < 400; i++) {
    if (existsSync(at) && readdirSync(at).length >= n) return readdirSync(at).map((f) => readFileSync(join(at, f), 'utf8'));
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing delivered into ${at}`);
};

before(async () => {
  for (const d of [maildir, join(maildir, '.Spam')]) for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(d, sub), { recursive: true });
  const filter = join(dir, 'mailfilter');
  writeFileSync(filter, [`DEFAULT="${maildir}/"`, 'if (/^X-Spam-Flag: *YES/)', '{', `  to "${maildir}/.Spam/"`, '}', ''].join('\n'), { mode: 0o600 });
  chmodSync(filter, 0o600);
  spamd = await startSpamd();
  const address = spamd.address as { host?: string; port?: number };
  child = spawn(process.execPath, ['--import', tsxLoader, join(import.meta.dirname, '..', '..', 'examples', 'mda.ts')], {
    env: { ...process.env, MDA_DIR: join(dir, 'var'), MDA_PORT: '0', MDA_DOMAIN: 'example.test', MAILDROP_FILTER: filter, SPAMD_HOST: address.host ?? '127.0.0.1', SPAMD_PORT: String(address.port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening on [^:]+:(\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`examples/mda.ts exited ${code}`)));
  });
});

after(async () => {
  child?.kill('SIGTERM');
  await spamd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/mda.ts (the tutorial)', () => {
  it('delivers through the real maildrop into the Maildir, with the tutorial\'s headers', async () => {
    const reply = await smtpSend({ port, from: 'alice@remote.test', to: ['bob@example.test'], body: 'Subject: hello\r\n\r\nJust a normal message.\r\n' });
    assert.match(reply, /^250 2\.0\.0 Ok: queued as /);
    const [text] = await waitForFiles(join(maildir, 'new'));
    assert.match(text!, /^Return-Path: <alice@remote\.test>\n/);
    assert.match(text!, /\nReceived: from /);
    assert.match(text!, /\nX-Spam-Status: No, score=/);
    assert.doesNotMatch(text!, /X-Spam-Flag/);
    assert.match(text!, /\nDate: /);
    assert.match(text!, /\nMessage-Id: </);
  });

  it('files the GTUBE message, tagged by spamd, into the .Spam quarantine', async () => {
    const reply = await smtpSend({ port, from: 'spammer@remote.test', to: ['bob@example.test'], body: `Subject: win\r\n\r\n${GTUBE}\r\n` });
    assert.match(reply, /^250 /);
    const [text] = await waitForFiles(join(maildir, '.Spam', 'new'));
    assert.match(text!, /\nX-Spam-Flag: YES\n/);
    assert.match(text!, /\nX-Spam-Status: Yes, score=/);
    assert.match(text!, /GTUBE/);
  });

  it('refuses recipients outside its domain with the tutorial\'s reply', async () => {
    await assert.rejects(
      smtpSend({ port, from: 'alice@remote.test', to: ['eve@elsewhere.test'], body: 'Subject: x\r\n\r\ny\r\n' }),
      (err: Error & { response?: string }) => /550 5\.7\.1 <eve@elsewhere\.test> Not authenticated/.test(err.response ?? err.message),
    );
  });
});
