/**
 * Every failed start exits non-zero, whatever else was started (issue 9.4): with `--metrics`
 * (and the inspector relay) already serving, a taken SMTP or inspector port stops the process
 * with 70 and the port named — the metrics server does not keep it alive — and the data is free
 * for the next start at once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseConfig, runEntry, startDaemon, tsxLoader, writeConfig } from '../support/daemonProcess.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mailtrail-startfail-'));
  dirs.push(d);
  return d;
};

async function busyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as { port: number }).port };
}

function runToExit(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, runEntry, 'run', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('a failed start', () => {
  it('exits 70 when the SMTP port is taken, though the metrics server and the inspector relay were up', async () => {
    const dir = tempDir();
    const busy = await busyPort();
    try {
      const file = writeConfig(dir, baseConfig(dir).replace('listen: 127.0.0.1:0', `listen: 127.0.0.1:${busy.port}`));
      const run = await runToExit(['--config', file, '--metrics=0', '--inspect=0']);
      assert.equal(run.code, 70, run.stderr);
      assert.equal(
        run.stderr.trim(),
        `mailtrail run: cannot listen on 127.0.0.1:${busy.port} (smtp.listen): address already in use: another program (or another mailtrail) listens there`,
      );
    } finally {
      busy.server.close();
    }
    // Nothing was left holding the data: the next start works.
    const d = await startDaemon(writeConfig(dir, baseConfig(dir)));
    assert.equal(await d.kill('SIGTERM'), 0);
  });

  it('exits 70 when the inspector port is taken, with --metrics serving', async () => {
    const dir = tempDir();
    const busy = await busyPort();
    try {
      const run = await runToExit([
        '--config',
        writeConfig(dir, baseConfig(dir)),
        '--metrics=0',
        `--inspect=${busy.port}`,
      ]);
      assert.equal(run.code, 70, run.stderr);
      assert.match(run.stderr, new RegExp(`inspector: port ${busy.port} on 127\\.0\\.0\\.1 is in use`));
    } finally {
      busy.server.close();
    }
  });

  it('exits 70 when the metrics port is taken', async () => {
    const dir = tempDir();
    const busy = await busyPort();
    try {
      const run = await runToExit(['--config', writeConfig(dir, baseConfig(dir)), `--metrics=${busy.port}`]);
      assert.equal(run.code, 70, run.stderr);
      assert.match(run.stderr, new RegExp(`${busy.port}`));
    } finally {
      busy.server.close();
    }
  });
});
