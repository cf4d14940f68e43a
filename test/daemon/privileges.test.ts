/**
 * The tutorial's step 5 on a fresh setup: started as root with `user:`/`group:` naming a real
 * unprivileged user (created with useradd if missing), from an empty directory, the daemon
 * makes its data directory (or takes over an empty one root made), hands everything it made
 * as root to that user, drops privileges after binding, and mail sent over SMTP is delivered as
 * that user. A data directory the user cannot write, which the daemon will not take over,
 * refuses the start (exit 73) naming the path and its owner. Needs root, as CI runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
import { runEntry, startDaemon, tsxLoader } from '../support/daemonProcess.js';
import { ensureSystemUser, type SystemUser } from '../support/systemUser.js';
import { spawn } from 'node:child_process';
import { waitUntil } from '../support/waitUntil.js';

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
let user: SystemUser;
before(() => {
  if (isRoot) user = ensureSystemUser();
});

/** An empty directory as an admin makes one under /var/lib: root's, mode 0755. */
function emptyRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-priv-'));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}

function configIn(root: string, dataDir: string, extra = ''): string {
  const file = join(root, 'mailtrail.yaml');
  writeFileSync(
    file,
    `hostname: mx.example.test
dataDir: ${dataDir}
${extra}smtp: { listen: 127.0.0.1:0, domains: [example.test] }
user: ${user.name}
group: ${user.name}
log: { level: info }
`,
  );
  return file;
}

function statusIds(pid: number): { uid: number; gid: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(status)![1]), gid: Number(/^Gid:\s+(\d+)/m.exec(status)![1]) };
}

const waitFor = async (check: () => boolean): Promise<void> => {
  await waitUntil(check, { what: 'the condition', timeoutMs: 10_000 });
};

/** Every path under `dir` (itself included) whose owner is not `uid`. */
function notOwnedBy(dir: string, uid: number): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.uid !== uid) out.push(p);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(dir);
  return out;
}

/** Starts the daemon, sends one message and waits for it: `delivered` messages in bob's Maildir in all. */
async function deliversAsTheUser(dataDir: string, file: string, delivered = 1): Promise<void> {
  const d = await startDaemon(file);
  try {
    assert.deepEqual(statusIds(d.child.pid!), { uid: user.uid, gid: user.gid });
    const reply = await smtpSend({
      port: d.port,
      from: 'a@remote.test',
      to: ['bob@example.test'],
      body: 'Subject: x\r\n\r\ny\r\n',
    });
    assert.match(reply, /^250 2\.0\.0 Ok: queued as /);
    const newDir = join(dataDir, 'mail', 'example.test', 'bob', 'new');
    await waitFor(() => existsSync(newDir) && readdirSync(newDir).length >= delivered);
    assert.equal(readdirSync(newDir).length, delivered, 'delivered into the Maildir');
    for (const name of readdirSync(newDir))
      assert.equal(statSync(join(newDir, name)).uid, user.uid, 'delivered as the unprivileged user');
    assert.deepEqual(notOwnedBy(dataDir, user.uid), [], 'everything in the data directory belongs to the mail user');
    assert.equal(statSync(join(dataDir, 'control.sock')).uid, user.uid, 'the control socket is made after the drop');
  } finally {
    assert.equal(await d.kill('SIGTERM'), 0);
  }
}

describe('running as root with a privilege drop (tutorial step 5)', {
  skip: isRoot ? false : 'needs root to drop privileges',
}, () => {
  it('makes its data directory, gives it to the user, delivers as that user, and restarts', async () => {
    const root = emptyRoot();
    const dataDir = join(root, 'var', 'lib', 'mailtrail');
    const file = configIn(root, dataDir);
    await deliversAsTheUser(dataDir, file);
    await deliversAsTheUser(dataDir, file, 2); // the second start finds its own files, and still delivers
  });

  it('makes the directory of an eventLog.path outside the data directory and gives it to the user', async () => {
    const root = emptyRoot();
    const dataDir = join(root, 'data');
    const logDir = join(root, 'var', 'log-store');
    const file = configIn(root, dataDir, `eventLog: { type: sqlite, path: ${join(logDir, 'events.sqlite')} }\n`);
    await deliversAsTheUser(dataDir, file);
    assert.deepEqual(notOwnedBy(logDir, user.uid), [], 'the log, its directory and its lock belong to the mail user');
    assert.equal(statSync(logDir).mode & 0o777, 0o700);
    await deliversAsTheUser(dataDir, file, 2); // and the second start uses it as it is
  });

  it('takes over an empty data directory root made beforehand', async () => {
    const root = emptyRoot();
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    assert.equal(statSync(dataDir).uid, 0);
    await deliversAsTheUser(dataDir, configIn(root, dataDir));
  });

  it("works in a data directory chowned to the user beforehand (the files made before the drop are the user's)", async () => {
    const root = emptyRoot();
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    chownSync(dataDir, user.uid, user.gid);
    await deliversAsTheUser(dataDir, configIn(root, dataDir));
  });

  it('refuses to start, naming the path and its owner, when the user cannot write the data directory', async () => {
    const root = emptyRoot();
    const dataDir = join(root, 'shared');
    mkdirSync(dataDir, { mode: 0o755 });
    writeFileSync(join(dataDir, 'not-mailtrails'), 'x'); // not empty, not ours: never chowned
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, runEntry, 'run', '--config', configIn(root, dataDir)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 73, stderr);
    assert.match(
      stderr,
      new RegExp(
        `^mailtrail run: ${dataDir}: owned by root \\(uid 0, gid 0, mode 0755\\), not writable by ${user.name} \\(uid ${user.uid}\\)`,
        'm',
      ),
    );
    assert.equal(statSync(dataDir).uid, 0, 'a directory holding other files is not taken over');
  });
});
