/**
 * `smtp.auth` in the real daemon: AUTH is listed and accepted only after STARTTLS; a user from
 * the config (scrypt hash, and a plain password) authenticates with nodemailer over STARTTLS
 * and the message is delivered; a wrong password gets 535; the session records AuthSucceeded
 * (a session that ends before MAIL: a probe record counting its failed AUTH), never a password; `smtp.auth` without `smtp.tls` refuses to start (78).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { hashPassword } from '../../src/edge/passwordTable.js';
import { makeCertificate, type TestCertificate } from '../edge/certificate.js';
import {
  baseConfig,
  runEntry,
  startDaemon,
  tsxLoader,
  writeConfig,
  type DaemonProcess,
} from '../support/daemonProcess.js';
import { waitUntil } from '../support/waitUntil.js';

const execFileP = promisify(execFile);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mailtrail-auth-'));
  dirs.push(d);
  return d;
};

/** A plain-text conversation (no STARTTLS): each command sent once the previous reply is complete; the replies. */
function converse(port: number, commands: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const replies: string[] = [];
    let pending = '';
    socket.on('data', (d: Buffer) => {
      pending += d.toString();
      if (!/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(pending)) return; // a reply ends with "ddd text"
      replies.push(pending);
      pending = '';
      const next = commands[replies.length - 1];
      if (next === undefined) {
        socket.end();
        resolve(replies);
      } else socket.write(`${next}\r\n`);
    });
    socket.on('error', reject);
  });
}

/** AUTH over STARTTLS with nodemailer, then one message; resolves with the DATA reply. */
function sendAuthenticated(port: number, ca: Buffer, user: string, pass: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = new SMTPConnection({
      host: '127.0.0.1',
      port,
      name: 'client.test',
      requireTLS: true,
      tls: { ca, servername: 'mx.example.test' },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    conn.on('error', reject);
    conn.connect(() => {
      conn.login({ user, pass }, (err) => {
        if (err) {
          conn.close();
          return reject(err);
        }
        conn.send(
          { from: 'alice@example.test', to: ['bob@example.test'] },
          'Subject: submitted\r\n\r\nhello\r\n',
          (sendErr, info) => {
            conn.quit();
            if (sendErr) reject(sendErr);
            else resolve(info.response);
          },
        );
      });
    });
  });
}

describe('smtp.auth in the daemon', () => {
  let cert: TestCertificate;
  let dir: string;
  let daemon: DaemonProcess;

  before(async () => {
    cert = makeCertificate();
    dir = tempDir();
    const hashed = await hashPassword('s3cret alice');
    daemon = await startDaemon(
      writeConfig(
        dir,
        baseConfig(dir, '').replace(
          '  domains: [example.test]\n',
          `  domains: [example.test]
  tls: { key: ${cert.keyPath}, cert: ${cert.certPath} }
  auth:
    users:
      alice: "${hashed}"
      carol: "plain password"
`,
        ),
      ),
    );
  });

  after(async () => {
    await daemon?.kill();
    cert?.remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('does not offer AUTH before STARTTLS, and refuses it there with 538', async () => {
    const plain = Buffer.from('\0alice\0s3cret alice').toString('base64');
    const [, ehlo, auth] = await converse(daemon.port, ['EHLO client.test', `AUTH PLAIN ${plain}`, 'QUIT']);
    assert.match(ehlo!, /^250[- ]STARTTLS\r$/m);
    assert.doesNotMatch(ehlo!, /AUTH/);
    assert.match(auth!, /^538 5\.7\.0 /);
  });

  it('authenticates a configured user over STARTTLS and delivers the message', async () => {
    const reply = await sendAuthenticated(daemon.port, cert.cert, 'alice', 's3cret alice');
    assert.match(reply, /^250 2\.0\.0 Ok: queued as /);
    const newDir = join(dir, 'mail', 'example.test', 'bob', 'new');
    const files = await waitUntil(
      () => {
        try {
          return readdirSync(newDir).length > 0 && readdirSync(newDir);
        } catch {
          return false;
        }
      },
      { what: "bob's Maildir to hold the message" },
    );
    assert.match(readFileSync(join(newDir, files[0]!), 'utf8'), /Subject: submitted/);
    assert.match(await sendAuthenticated(daemon.port, cert.cert, 'carol', 'plain password'), /^250 /);
  });

  it('refuses a wrong password with 535 and records it without the secret', async () => {
    await assert.rejects(
      sendAuthenticated(daemon.port, cert.cert, 'alice', 'wrong'),
      (err: Error & { responseCode?: number }) => {
        assert.equal(err.responseCode, 535);
        return true;
      },
    );
    await assert.rejects(
      sendAuthenticated(daemon.port, cert.cert, 'mallory', 's3cret alice'),
      (err: Error & { responseCode?: number }) => err.responseCode === 535,
    );
    const { stdout } = await execFileP(process.execPath, [
      '--import',
      tsxLoader,
      runEntry,
      'tail',
      '--json',
      '-n',
      'all',
      '--config',
      join(dir, 'mailtrail.yaml'),
    ]);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    assert.ok(
      events.some((e) => e.type === 'AuthSucceeded' && e.data.user === 'alice'),
      'AuthSucceeded for alice',
    );
    // A session that ends before MAIL has no stream of its own: its probe record counts the failures.
    assert.equal(
      events.filter((e) => e.type === 'SessionProbed' && Number(e.data.authFailures) >= 1).length,
      2,
      'two probes with a failed AUTH',
    );
    assert.doesNotMatch(stdout, /s3cret|wrong|plain password/, 'no password in the log');
  });

  it('refuses to start with smtp.auth and no smtp.tls, naming the key (exit 78)', async () => {
    const d = tempDir();
    const file = writeConfig(
      d,
      baseConfig(d, '').replace(
        '  domains: [example.test]\n',
        '  domains: [example.test]\n  auth: { users: { alice: pw } }\n',
      ),
    );
    const err = await execFileP(process.execPath, ['--import', tsxLoader, runEntry, 'run', '--config', file]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.ok(err, 'the daemon should have refused to start');
    assert.equal(err.code, 78);
    assert.match(err.stderr, /smtp\.auth: AUTH is offered only over TLS/);
  });
});
