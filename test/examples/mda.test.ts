/**
 * examples/mda.ts — the tutorial as a program — run as a child process and used for real, set
 * up exactly as docs/relays.md recommends: started as root, it drops to `nobody` (whose shell
 * is nologin) after binding, and the real maildrop runs the documented virtual-mailbox filter
 * (read from the doc) with {user} and {domain}. Mail lands in the Maildir, the GTUBE message
 * tagged by a real spamd is filed into .Spam, a missing mailbox bounces (5.1.1) and the DSN to
 * the remote sender leaves over SMTP (smtp-sink), and MyValidators refuses foreign domains.
 * Needs root (as CI runs) to drop privileges; otherwise it is reported as skipped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smtpSend } from '../support/smtpClient.js';
import { tsxLoader } from '../support/daemonProcess.js';
import { docsMaildropFilter } from '../support/docsMaildropFilter.js';
import { startSpamd, type RunningSpamd } from '../policies/spamdServer.js';
import { freePort, startSmtpSink, type Running } from '../relay/realServers.js';
import { waitUntil } from '../support/waitUntil.js';

const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';
const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root: the example drops to nobody, as the docs set it up';
const USER = 'nobody';
const dir = mkdtempSync(join(tmpdir(), 'mailtrail-example-'));
const vmail = join(dir, 'vmail');
const maildir = join(vmail, 'example.test', 'bob');
let spamd: RunningSpamd;
let sink: Running & { dumps(): Promise<string[]> };
let child: ChildProcess;
let port = 0;

const waitForFiles = async (at: string, n = 1): Promise<string[]> => {
  for (let i = 0; i < 400; i++) {
    if (existsSync(at) && readdirSync(at).length >= n)
      return readdirSync(at).map((f) => readFileSync(join(at, f), 'utf8'));
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing delivered into ${at}`);
};

before(async () => {
  if (skip) return;
  // The test's directory stands for /var/vmail and the example's storage: all nobody's.
  chmodSync(dir, 0o755);
  for (const d of [maildir, join(maildir, '.Spam')])
    for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(d, sub), { recursive: true });
  // The storage too, as an admin would prepare it: the example opens it as root, then works as nobody.
  mkdirSync(join(dir, 'var', 'spool', 'bodies'), { recursive: true });
  writeFileSync(join(dir, 'var', 'events.sqlite'), '');
  const filter = join(dir, 'mailfilter');
  writeFileSync(filter, docsMaildropFilter(vmail), { mode: 0o600 });
  execFileSync('chown', ['-R', `${USER}:`, vmail, join(dir, 'var'), filter]);
  spamd = await startSpamd();
  const sinkPort = await freePort();
  sink = await startSmtpSink('127.0.0.1', sinkPort);
  const address = spamd.address as { host?: string; port?: number };
  child = spawn(
    process.execPath,
    ['--import', tsxLoader, join(import.meta.dirname, '..', '..', 'examples', 'mda.ts')],
    {
      env: {
        ...process.env,
        MDA_DIR: join(dir, 'var'),
        MDA_PORT: '0',
        MDA_DOMAIN: 'example.test',
        MAILDROP_FILTER: filter,
        SPAMD_HOST: address.host ?? '127.0.0.1',
        SPAMD_PORT: String(address.port),
        MDA_USER: USER,
        MDA_OUTBOUND: `127.0.0.1:${sinkPort}`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
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
  await sink?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/mda.ts (the tutorial)', { skip }, () => {
  it("delivers through the real maildrop into the Maildir, with the tutorial's headers", async () => {
    const reply = await smtpSend({
      port,
      from: 'alice@remote.test',
      to: ['bob@example.test'],
      body: 'Subject: hello\r\n\r\nJust a normal message.\r\n',
    });
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
    const reply = await smtpSend({
      port,
      from: 'spammer@remote.test',
      to: ['bob@example.test'],
      body: `Subject: win\r\n\r\n${GTUBE}\r\n`,
    });
    assert.match(reply, /^250 /);
    const [text] = await waitForFiles(join(maildir, '.Spam', 'new'));
    assert.match(text!, /\nX-Spam-Flag: YES\n/);
    assert.match(text!, /\nX-Spam-Status: Yes, score=/);
    assert.match(text!, /GTUBE/);
  });

  it('runs as nobody, and maildrop with it: the documented filter works for a nologin user', () => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    assert.equal(/^Uid:\s+(\d+)/m.exec(status)![1], execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    assert.match(execFileSync('getent', ['passwd', USER], { encoding: 'utf8' }), /nologin\n?$/);
  });

  it('bounces mail for a mailbox that does not exist, and the DSN to the remote sender leaves over SMTP', async () => {
    const reply = await smtpSend({
      port,
      from: 'alice@remote.test',
      to: ['carol@example.test'],
      body: 'Subject: for carol\r\n\r\nHello.\r\n',
    });
    assert.match(reply, /^250 /);
    let dump: string | undefined;
    dump = await waitUntil(async () => (await sink.dumps()).find((d) => d.includes('for carol')), {
      what: "the sink's dump of the message for carol",
    }).catch(() => undefined);
    assert.ok(dump, 'the DSN reached smtp-sink');
    assert.deepEqual(dump.match(/^X-Rcpt-Args: .*$/gm), ['X-Rcpt-Args: <alice@remote.test>']);
    assert.match(dump, /^Status: 5\.1\.1$/m);
    assert.ok(!existsSync(join(vmail, 'example.test', 'carol')));
    assert.ok(!existsSync(join(vmail, 'remote.test')));
  });

  it("refuses recipients outside its domain with the tutorial's reply", async () => {
    await assert.rejects(
      smtpSend({ port, from: 'alice@remote.test', to: ['eve@elsewhere.test'], body: 'Subject: x\r\n\r\ny\r\n' }),
      (err: Error & { response?: string }) =>
        /550 5\.7\.1 <eve@elsewhere\.test> Not authenticated/.test(err.response ?? err.message),
    );
  });
});
