/**
 * Runs the real `mailtrail` CLI as a child process from the TypeScript sources
 * (`node --import tsx src/cli/run.ts …`) and collects its exit code and output; writes a
 * config file whose dataDir is a queue harness's directory (events.sqlite, spool/ and
 * control.sock live there).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil as waitFor } from '../support/waitUntil.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/run.ts'), ...args],
      { cwd: ROOT, timeout: timeoutMs, env: { ...process.env, DEBUG: '' } },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
  });
}

/** A config file for the CLI: dataDir → `dir`, the event log at `<dir>/events.sqlite`. */
export function writeCliConfig(dir: string): string {
  const file = join(dir, 'mailtrail.yaml');
  writeFileSync(file, `hostname: mx.example.test\ndataDir: ${JSON.stringify(dir)}\nsmtp:\n  domains: [example.test]\n`);
  return file;
}

export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  await waitFor(check, { what, timeoutMs });
}
