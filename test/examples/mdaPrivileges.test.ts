/**
 * examples/mda.ts, step 5, as root: started from an empty directory with MDA_USER naming a real
 * unprivileged user, the tutorial's storage (made as root before the drop) is handed to that
 * user, and mail sent over SMTP is delivered by the real maildrop running as that user. Needs
 * root, as CI runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smtpSend } from '../support/smtpClient.js';
import { tsxLoader } from '../support/daemonProcess.js';
import { ensureSystemUser, type SystemUser } from '../support/systemUser.js';
import { waitUntil } from '../support/waitUntil.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
let user: SystemUser;
let child: ChildProcess | undefined;

before(() => {
  if (!isRoot) return;
  user = ensureSystemUser();
  dir = mkdtempSync(join(tmpdir(), 'mailtrail-example-root-'));
  chmodSync(dir, 0o755);
});

after(() => {
  child?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function statusUid(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

describe('examples/mda.ts dropping privileges (tutorial step 5)', {
  skip: isRoot ? false : 'needs root to drop privileges',
}, () => {
  it('hands its storage to MDA_USER and delivers through maildrop as that user', async () => {
    // The mailbox is the user's, as an admin sets it up; the storage is left to the example.
    const maildir = join(dir, 'Maildir');
    for (const sub of ['', 'tmp', 'new', 'cur']) {
      mkdirSync(join(maildir, sub), { recursive: true });
      chownSync(join(maildir, sub), user.uid, user.gid);
    }
    const filter = join(dir, 'mailfilter');
    writeFileSync(filter, `DEFAULT="${maildir}/"\n`, { mode: 0o600 });
    chownSync(filter, user.uid, user.gid);
    const storage = join(dir, 'var-mda');
    child = spawn(
      process.execPath,
      ['--import', tsxLoader, join(import.meta.dirname, '..', '..', 'examples', 'mda.ts')],
      {
        env: {
          ...process.env,
          MDA_DIR: storage,
          MDA_PORT: '0',
          MDA_DOMAIN: 'example.test',
          MAILDROP_FILTER: filter,
          MDA_USER: user.name,
          MDA_GROUP: user.name,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const port = await new Promise<number>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => {
        const m = /listening on [^:]+:(\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      child!.once('exit', (code) => reject(new Error(`examples/mda.ts exited ${code}: ${stderr}`)));
    });
    assert.equal(statusUid(child.pid!), user.uid);
    const reply = await smtpSend({
      port,
      from: 'alice@remote.test',
      to: ['bob@example.test'],
      body: 'Subject: hello\r\n\r\nJust a normal message.\r\n',
    });
    assert.match(reply, /^250 2\.0\.0 Ok: queued as /);
    const newDir = join(maildir, 'new');
    await waitUntil(() => readdirSync(newDir).length > 0, { what: 'the message in the Maildir' }).catch(
      () => undefined,
    ); // asserted below, with maildrop's stderr
    const [file] = readdirSync(newDir);
    assert.ok(file, `nothing delivered: ${stderr}`);
    assert.equal(statSync(join(newDir, file)).uid, user.uid, 'maildrop ran as the user');
    assert.match(readFileSync(join(newDir, file), 'utf8'), /Just a normal message/);
    for (const name of ['', 'events.sqlite', 'spool', 'mailtrail.lock'])
      assert.equal(
        statSync(join(storage, name)).uid,
        user.uid,
        `${name || 'the storage directory'} belongs to the user`,
      );
    assert.ok(existsSync(join(storage, 'events.sqlite-wal')));
  });
});
