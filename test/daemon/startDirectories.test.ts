/**
 * The directories the configuration names and the daemon makes at start (`dataDir`, a Maildir
 * `root` of `relay` or of a `routes` entry): when one cannot be made, the start fails with exit
 * 73 (EX_CANTCREAT) and one line naming the key, the configuration file and the reason — a
 * file standing in the way, or no permission for the user the daemon starts as — instead of
 * mkdir's bare `EEXIST: file already exists`. Found by trying operators' mistakes from outside.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEntry, tsxLoader } from '../support/daemonProcess.js';
import { ensureSystemUser } from '../support/systemUser.js';

const root = mkdtempSync(join(tmpdir(), 'mailtrail-startdirs-'));
chmodSync(root, 0o755);
after(() => rmSync(root, { recursive: true, force: true }));

function configFile(name: string, dataDir: string, relayRoot: string, routes = ''): string {
  const file = join(root, `${name}.yaml`);
  writeFileSync(
    file,
    `hostname: mx.example.test
dataDir: ${dataDir}
smtp: { listen: 127.0.0.1:0, domains: [example.test, lists.example.test] }
relay: { type: maildir, root: ${relayRoot} }
${routes}`,
    { mode: 0o644 },
  );
  return file;
}

function start(file: string, uid?: { uid: number; gid: number }): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, runEntry, 'run', '--config', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(uid ?? {}),
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('directories made at start', () => {
  it('a file where dataDir should be: exit 73 naming dataDir, the file and what stands there', async () => {
    const dataDir = join(root, 'a-file');
    writeFileSync(dataDir, 'not a directory');
    const file = configFile('datadir-file', dataDir, join(root, 'mail1'));
    const { code, stderr } = await start(file);
    assert.equal(code, 73, stderr);
    assert.equal(
      stderr.trim(),
      `mailtrail run: dataDir ${dataDir} (${file}): not a directory: a file stands at ${dataDir}; move it away or choose another directory`,
    );
  });

  it('a file on the way to a Maildir root of relay or of a route: exit 73 naming that key', async () => {
    const blocker = join(root, 'blocker');
    writeFileSync(blocker, 'x');
    const relayFile = configFile('relay-root', join(root, 'data2'), join(blocker, 'mail'));
    const relay = await start(relayFile);
    assert.equal(relay.code, 73, relay.stderr);
    assert.match(
      relay.stderr,
      new RegExp(
        `^mailtrail run: relay\\.root ${blocker}/mail \\(${relayFile}\\): not a directory: a file stands at ${blocker};`,
        'm',
      ),
    );
    const routeFile = configFile(
      'route-root',
      join(root, 'data3'),
      join(root, 'mail3'),
      `routes: { lists.example.test: { type: maildir, root: ${join(blocker, 'lists')} } }\n`,
    );
    const route = await start(routeFile);
    assert.equal(route.code, 73, route.stderr);
    assert.match(
      route.stderr,
      /^mailtrail run: routes\.lists\.example\.test\.root .*: not a directory: a file stands at /m,
    );
  });

  it('a dataDir the starting user may not create: exit 73 naming the directory it may not write and the uid', async () => {
    const user = ensureSystemUser();
    const parent = join(root, 'root-only');
    mkdirSync(parent, { mode: 0o755 });
    const dataDir = join(parent, 'data');
    const file = configFile('datadir-eacces', dataDir, join(root, 'mail4'));
    const { code, stderr } = await start(file, { uid: user.uid, gid: user.gid });
    assert.equal(code, 73, stderr);
    assert.equal(
      stderr.trim(),
      `mailtrail run: dataDir ${dataDir} (${file}): cannot be created: permission denied in ${parent} for uid ${user.uid}; create it (as root) or choose a directory that user may write`,
    );
    assert.equal(existsSync(dataDir), false);
  });
});
