/**
 * `mailtrail run --inspect=0` as a child process (the real daemon, free ports): it logs the
 * page to open, announces the relay in the data directory (mode 0600), and a viewer receives
 * the session and message actors of a mail sent over SMTP — no body text, masked addresses.
 * SIGTERM stops it cleanly and removes the announcement. A bad port is a usage error (64); a
 * port in use stops the start (70) with the port named.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { announcementPath, readAnnouncement } from '../../src/inspect/announcement.js';
import { baseConfig, runEntry, tsxLoader, writeConfig } from '../support/daemonProcess.js';
import { smtpSend } from '../support/smtpClient.js';
import { Viewer } from './viewer.js';

const MARKER = 'DAEMON-BODY-MARKER-c4e1';

interface Started {
  child: ChildProcess;
  smtpPort: number;
  pageUrl: string;
  exited: Promise<number | null>;
}

/** Every daemon this file spawns, so that `after` kills them even when a start timed out. */
const spawned = new Set<ChildProcess>();

function startWithInspect(configFile: string, extra: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', tsxLoader, runEntry, 'run', '--config', configFile, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let smtpPort = 0;
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let rec: { listening?: { port: number }[]; inspector?: { pageUrl: string } };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        return;
      }
      if (rec.listening?.[0]) smtpPort = rec.listening[0].port;
      if (rec.inspector && smtpPort) resolve({ child, smtpPort, pageUrl: rec.inspector.pageUrl, exited });
    });
    void exited.then((code) => reject(new Error(`daemon exited ${code}: ${stderr.slice(-2000)}`)));
  });
}

describe('mailtrail run --inspect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-inspect-'));
  const config = writeConfig(dir, baseConfig(dir));
  let daemon: Started;
  before(async () => {
    daemon = await startWithInspect(config, ['--inspect=0']);
  });
  after(() => {
    for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the SMTP session and the message of a mail sent to the daemon, sanitized', async () => {
    assert.match(daemon.pageUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const announced = readAnnouncement(dir);
    assert.equal(announced?.port, Number(new URL(daemon.pageUrl).port));
    assert.equal(statSync(announcementPath(dir)).mode & 0o777, 0o600);
    const viewer = await Viewer.open(daemon.pageUrl.replace('http://', 'ws://'));
    const reply = await smtpSend({
      port: daemon.smtpPort,
      from: 'alice@remote.test',
      to: ['bob@example.test'],
      body: `Subject: hi\r\n\r\n${MARKER}\r\n`,
    });
    const id = /queued as (\S+)/.exec(reply)?.[1];
    assert.ok(id, reply);
    const message = await viewer.until(
      () => viewer.messages.find((m) => m.type === '@xstate.actor' && m.name === `message-${id}`),
      'the message actor',
    );
    await viewer.until(
      () => viewer.messages.some((m) => m.sessionId === message.sessionId && m.snapshot?.value === 'delivered'),
      'delivered',
    );
    await viewer.until(
      () => viewer.messages.some((m) => m.type === '@xstate.actor' && m.name?.startsWith('session-')),
      'the session actor',
    );
    await viewer.until(
      () => viewer.messages.some((m) => m.event?.type === 'MessageAccepted'),
      'the session’s MessageAccepted',
    );
    for (const type of ['@xstate.actor', '@xstate.event', '@xstate.snapshot'])
      assert.ok(viewer.ofType(type).length > 0, type);
    assert.ok(!viewer.text.includes(MARKER), 'no body text');
    assert.ok(
      !viewer.text.includes('bob@example.test') && viewer.text.includes('b***@example.test'),
      'addresses masked by default',
    );
    viewer.close();
  });

  it('stops on SIGTERM and removes the announcement', async () => {
    daemon.child.kill('SIGTERM');
    assert.equal(await daemon.exited, 0);
    assert.equal(existsSync(announcementPath(dir)), false);
  });

  it('refuses a port that is not one (64), and fails before listening when the port is in use', async () => {
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, runEntry, 'run', '--config', config, '--inspect=http'],
      { stdio: 'ignore' },
    );
    spawned.add(child);
    assert.equal(await new Promise((resolve) => child.on('exit', resolve)), 64);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const { port } = busy.address() as { port: number };
    try {
      const second = spawn(
        process.execPath,
        ['--import', tsxLoader, runEntry, 'run', '--config', config, `--inspect=${port}`],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      spawned.add(second);
      let stderr = '';
      second.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      assert.equal(await new Promise((resolve) => second.on('exit', resolve)), 70);
      assert.match(stderr, new RegExp(`inspector: port ${port} on 127\\.0\\.0\\.1 is in use`));
    } finally {
      busy.close();
    }
  });
});
