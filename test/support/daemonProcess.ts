/**
 * Runs the real daemon (`src/cli/run.ts run --config …`) as a child process for tests, on a
 * free port chosen by the kernel, and reads its pino log lines: `start()` resolves with the
 * port from the first line ("mailtrail listening on …"). `kill(signal)` and `exited` let
 * tests crash it and restart it on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export const runEntry = join(import.meta.dirname, '..', '..', 'src', 'cli', 'run.ts');
/** tsx's loader by absolute URL, so a daemon started in another working directory finds it. */
export const tsxLoader = import.meta.resolve('tsx');

export function writeConfig(dir: string, yaml: string): string {
  const file = join(dir, 'mailtrail.yaml');
  writeFileSync(file, yaml);
  return file;
}

export function baseConfig(dir: string, extra = ''): string {
  return `hostname: mx.example.test
dataDir: ${dir}
smtp:
  listen: 127.0.0.1:0
  domains: [example.test]
relay: { type: maildir, root: ${join(dir, 'mail')} }
queue: { retry: { minBackoff: 1s, maxBackoff: 2s, maxLifetime: 1h } }
log: { level: info }
${extra}`;
}

export function startDaemon(
  configFile: string,
  opts: { wrap?: string[]; env?: NodeJS.ProcessEnv; args?: string[] } = {},
): Promise<DaemonProcess> {
  const args = ['--import', tsxLoader, runEntry, 'run', '--config', configFile, ...(opts.args ?? [])];
  const [cmd, ...cmdArgs] = opts.wrap ? [...opts.wrap, process.execPath, ...args] : [process.execPath, ...args];
  const child = spawn(cmd!, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      lines.push(rec);
      const listening = rec.listening as { host: string; port: number }[] | undefined;
      if (listening?.[0]) {
        resolve({
          child,
          port: listening[0].port,
          lines,
          exited,
          kill: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`daemon exited ${code} before listening: ${stderr.slice(-2000)}`)));
  });
}
