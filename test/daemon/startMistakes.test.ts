/**
 * Operators' mistakes that stop the start, each with one line that names what to change
 * (found by trying them from outside, where the line was node's or OpenSSL's own words):
 *  - a directory the configuration names and the daemon makes (`dataDir`, the directory of
 *    `eventLog.path`, a Maildir `root` of `relay` or of a `routes` entry) cannot be made: exit 73 naming the key, the configuration
 *    file and the reason (a file in the way, no permission for the starting user);
 *  - `smtp.tls` names a missing file, a key that is not the certificate's, or the two swapped:
 *    exit 78 naming `smtp.tls.cert`/`smtp.tls.key` and the file;
 *  - `smtp.listen` is not an address of this host: exit 70 naming the address and the reason
 *    (a port in use: startFailure.test.ts).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEntry, tsxLoader } from '../support/daemonProcess.js';
import { ensureSystemUser } from '../support/systemUser.js';
import { makeCertificate } from '../edge/certificate.js';

const root = mkdtempSync(join(tmpdir(), 'mailtrail-startdirs-'));
chmodSync(root, 0o755);
after(() => rmSync(root, { recursive: true, force: true }));

function configFile(
  name: string,
  dataDir: string,
  relayRoot: string,
  routes = '',
  smtp = 'listen: 127.0.0.1:0',
): string {
  const file = join(root, `${name}.yaml`);
  writeFileSync(
    file,
    `hostname: mx.example.test
dataDir: ${dataDir}
smtp: { ${smtp}, domains: [example.test, lists.example.test] }
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

/** Starts with `file`, expects exit `code` and exactly `line` on stderr. */
async function failsWith(file: string, code: number, line: string): Promise<void> {
  const r = await start(file);
  assert.equal(r.code, code, r.stderr);
  assert.equal(r.stderr.trim(), line);
}

describe('start failures an operator can act on', () => {
  it('a file where dataDir should be: exit 73 naming dataDir, the file and what stands there', async () => {
    const dataDir = join(root, 'a-file');
    writeFileSync(dataDir, 'not a directory');
    const file = configFile('datadir-file', dataDir, join(root, 'mail1'));
    await failsWith(
      file,
      73,
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

  it('a file where the directory of eventLog.path should be: exit 73 naming it', async () => {
    const blocker = join(root, 'log-blocker');
    writeFileSync(blocker, 'x');
    const file = configFile(
      'log-dir',
      join(root, 'data-log'),
      join(root, 'mail-log'),
      `eventLog: { type: sqlite, path: ${join(blocker, 'events.sqlite')} }\n`,
    );
    await failsWith(
      file,
      73,
      `mailtrail run: the directory of eventLog.path ${blocker} (${file}): not a directory: a file stands at ${blocker}; move it away or choose another directory`,
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

  it('smtp.tls naming a missing file, a key of another certificate, or the two swapped: exit 78 naming the key', async () => {
    const a = makeCertificate();
    const b = makeCertificate();
    try {
      /** A configuration of its own (data and mail directories named after it) with this pair. */
      const tls = (name: string, cert: string, key: string) =>
        configFile(
          name,
          join(root, `${name}-data`),
          join(root, `${name}-mail`),
          '',
          `listen: 127.0.0.1:0, tls: { cert: ${cert}, key: ${key} }`,
        );
      const missing = tls('tls-missing', join(root, 'none.pem'), a.keyPath);
      await failsWith(
        missing,
        78,
        `mailtrail run: configuration error: ${missing}: smtp.tls.cert: ${join(root, 'none.pem')}: cannot be read: no such file`,
      );
      const mismatch = tls('tls-mismatch', a.certPath, b.keyPath);
      await failsWith(
        mismatch,
        78,
        `mailtrail run: configuration error: ${mismatch}: smtp.tls.key: ${b.keyPath}: does not match the certificate ${a.certPath}`,
      );
      const swapped = tls('tls-swapped', a.keyPath, a.certPath);
      await failsWith(
        swapped,
        78,
        `mailtrail run: configuration error: ${swapped}: smtp.tls.cert: ${a.keyPath}: not a PEM certificate`,
      );
      // The right pair passes the check (the start goes on: it is stopped once it listens).
      const good = tls('tls-good', a.certPath, a.keyPath);
      const child = spawn(process.execPath, ['--import', tsxLoader, runEntry, 'run', '--config', good], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const listening = await new Promise<string>((resolve) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('mailtrail listening on')) resolve(out);
        });
        child.on('exit', () => resolve(out));
      });
      assert.match(listening, /mailtrail listening on/);
      child.kill('SIGTERM');
      assert.equal(await new Promise((r) => child.on('exit', r)), 0);
    } finally {
      a.remove();
      b.remove();
    }
  });

  it('smtp.listen not an address of this host: exit 70 naming the address (in use: startFailure.test.ts)', async () => {
    // TEST-NET-2 (RFC 5737): never an address of this host.
    const foreign = configFile('listen-foreign', join(root, 'd10'), join(root, 'm10'), '', 'listen: 198.51.100.7:2525');
    await failsWith(
      foreign,
      70,
      'mailtrail run: cannot listen on 198.51.100.7:2525 (smtp.listen): not an address of this host',
    );
  });
});
