/**
 * Test helper: a real spamd (Debian's spamassassin package) on a free loopback port or a
 * unix socket, with a site config of its own in a temporary directory (the .pre files that
 * load the plugins, no Bayes, no network rules: --local), master as root, children as
 * nobody. start() resolves once spamd answers PING, and rejects with spamd's own output when
 * it is missing, exits or does not answer within 60 s: a test never skips silently.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingSpamd, type SpamdAddress } from '../../src/policies/spamdClient.js';

export const SPAMD = process.env.SPAMD ?? '/usr/sbin/spamd';
const STARTUP_LIMIT = 60_000;

const LOCAL_CF = ['use_bayes 0', 'bayes_auto_learn 0', 'skip_rbl_checks 1', 'use_auto_whitelist 0', ''].join('\n');

export interface RunningSpamd {
  readonly address: SpamdAddress;
  /** Milliseconds from spawn to the first PONG. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (bound on 0, then closed). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function siteConfig(dir: string): Promise<void> {
  for (const name of await readdir('/etc/spamassassin')) {
    if (name.endsWith('.pre')) await copyFile(join('/etc/spamassassin', name), join(dir, name));
  }
  await writeFile(join(dir, 'local.cf'), LOCAL_CF);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startSpamd(opts: { socket?: boolean } = {}): Promise<RunningSpamd> {
  const dir = await mkdtemp(join(tmpdir(), 'mailtrail-spamd-'));
  await chmod(dir, 0o755);
  await siteConfig(dir);
  const address: SpamdAddress = opts.socket
    ? { socket: join(dir, 'spamd.sock') }
    : { host: '127.0.0.1', port: await freePort() };
  const listen =
    'socket' in address
      ? [`--socketpath=${address.socket}`]
      : ['--port', String(address.port), '-i', '127.0.0.1', '-A', '127.0.0.1'];
  const args = [
    ...listen,
    '--local',
    '--nouser-config',
    '--siteconfigpath',
    dir,
    '--pidfile',
    join(dir, 'spamd.pid'),
    '--syslog=stderr',
    '-u',
    'nobody',
    '--min-children',
    '1',
    '--max-children',
    '2',
  ];
  const started = Date.now();
  const child = spawn(SPAMD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(new Error(`cannot run ${SPAMD} (install the Debian package spamassassin): ${err.message}`)),
    );
    child.once('exit', (code, signal) =>
      reject(new Error(`spamd exited (${code ?? signal}) before answering PING:\n${output}`)),
    );
  });
  exited.catch(() => undefined);
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (;;) {
      if (Date.now() - started > STARTUP_LIMIT)
        throw new Error(`spamd did not answer PING within ${STARTUP_LIMIT} ms:\n${output}`);
      const ping = pingSpamd(address, 1_000).then(
        () => true,
        () => false,
      );
      if (await Promise.race([ping, exited])) break;
      await Promise.race([new Promise((r) => setTimeout(r, 200)), exited]);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, startupMs: Date.now() - started, stop };
}
