/**
 * Restart with a full queue: fills a data directory with N deferred messages (default 100,000;
 * BENCH_RESTART_MESSAGES to change) whose relay is down — 500 queued through the library (the
 * daemon's own router, policies, Queue and sqlite storage: received, policies applied,
 * attempted, deferred by the SMTP relay's refused connection), the rest their histories and
 * bodies cloned under new ids — then builds dist/ and spawns the real daemon
 * (`bin/mailtrail.js run`) on it, and prints the time from
 * spawn to the first 220 greeting, the time until its log says every live message is scheduled,
 * and its RSS then, beside the same daemon started on an empty queue. Prints; asserts nothing.
 * BENCH_RESTART_DIR keeps (and reuses) a filled directory instead of a temporary one.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseConfig } from '../src/config/index.js';
import { buildPolicies, buildRouter } from '../src/daemon/components.js';
import { Queue } from '../src/queue/queue.js';
import { cloneHistories } from '../test/support/cloneHistories.js';
import { SqliteStorage } from '../src/storage/sqliteStorage.js';

const root = join(import.meta.dirname, '..');
/**
 * The installed command (compiled dist/): what a restart in production runs, without tsx's
 * start-up. BENCH_RESTART_BIN names another build's bin/mailtrail.js (say, of the commit before).
 */
const bin = process.env.BENCH_RESTART_BIN ?? join(root, 'bin', 'mailtrail.js');

function buildDist(): void {
  const t = performance.now();
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  console.log(`restart: built dist/ in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** A port nothing listens on: the SMTP relay's connections are refused, every attempt defers. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function configText(dir: string, relayPort: number): string {
  return `hostname: mx.example.test
dataDir: ${dir}
smtp:
  listen: 127.0.0.1:0
  domains: [example.test]
  greetDelay: 0
relay: { type: smtp, host: 127.0.0.1, port: ${relayPort}, timeout: 5s }
queue: { retry: { minBackoff: 2h, maxBackoff: 4h, maxLifetime: 5d } }
log: { level: info }
`;
}

const BODY = `From: alice@remote.test\r\nTo: bob@example.test\r\nSubject: restart bench\r\n\r\n${'x'.repeat(1900)}\r\n`;

/** Messages queued for real (through the daemon's router, policies and relay) before cloning. */
const REAL = 500;

/**
 * Queue REAL messages through the library (the daemon's router, policies, Queue and storage)
 * until each is deferred by the refused relay, then clone their histories and bodies under new
 * queue ids, appended as the daemon appends them but without its per-message fsyncs.
 */
async function fill(dir: string, configFile: string, total: number): Promise<void> {
  const config = parseConfig(readFileSync(configFile, 'utf8'), configFile);
  const storage = new SqliteStorage(dir, {
    logPath: config.eventLog.type === 'sqlite' ? config.eventLog.path : join(dir, 'events.sqlite'),
  });
  const started = performance.now();
  try {
    const real = Math.min(REAL, total);
    let deferred = 0;
    let allDeferred: () => void = () => {};
    const done = new Promise<void>((r) => {
      allDeferred = r;
    });
    const queue = new Queue({
      log: storage.log,
      spool: storage.spool,
      router: buildRouter(config),
      hostname: config.hostname,
      retry: config.queue.retry,
      concurrency: 50,
      inspect: (e) => {
        if (
          e.type === '@xstate.snapshot' &&
          (e.snapshot as { value?: unknown }).value === 'deferred' &&
          ++deferred === real
        )
          allDeferred();
      },
    });
    for (const policy of buildPolicies(config)) queue.addPrequeuePolicy(policy);
    const templates = await Promise.all(
      Array.from({ length: real }, (_, i) =>
        queue.enqueue({
          envelope: { sender: 'alice@remote.test', recipients: [`user${i}@example.test`] },
          body: [Buffer.from(BODY)],
          client: { ip: '127.0.0.1', helo: 'bench.remote.test', protocol: 'ESMTP' },
          sessionId: `S${i}`,
        }),
      ),
    );
    await done;
    await queue.stop(0);
    console.log(
      `restart: ${real} messages queued and deferred through the library in ${((performance.now() - started) / 1000).toFixed(1)} s; cloning them`,
    );
    await cloneHistories(storage.log, storage.spool.bodiesDir, templates, total - real, (n) => {
      process.stdout.write(
        `\rrestart: ${(real + n).toLocaleString('en')}/${total.toLocaleString('en')} deferred messages in the log`,
      );
    });
    process.stdout.write(`\nrestart: filled in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await storage.close();
  }
}

interface StartFigures {
  greetingMs: number;
  scheduledMs: number;
  rssMb: number;
  recovered: number;
}

/** Poll the port until a 220 greeting arrives; resolves with the time it did. */
function firstGreeting(port: number): Promise<number> {
  return new Promise((resolve) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('data', (d) => {
        socket.destroy();
        if (d.toString().startsWith('220')) resolve(performance.now());
        else setTimeout(attempt, 5);
      });
      socket.once('error', () => {
        socket.destroy();
        setTimeout(attempt, 5);
      });
    };
    attempt();
  });
}

const rssOf = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/**
 * Spawn the daemon, wait for its listening line (port), the first 220, and the line that says
 * recovery is done (`recovered N live messages`, or, on an empty queue, the listening line).
 */
async function measureStart(configFile: string, expectRecovered: boolean): Promise<StartFigures> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'run', '--config', configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let greetingAt = 0;
  let scheduledAt = 0;
  let recovered = 0;
  let greeting: Promise<number> | undefined;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the daemon exited ${code}`)));
    const check = () => {
      if (greetingAt && (scheduledAt || !expectRecovered)) resolve();
    };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      const msg = String(rec.msg ?? '');
      const listening = rec.listening as { port: number }[] | undefined;
      if (listening?.[0] && !greeting)
        greeting = firstGreeting(listening[0].port).then((at) => {
          greetingAt = at;
          check();
          return at;
        });
      if (/^recovered \d+ live messages/.test(msg)) {
        scheduledAt = performance.now();
        recovered = Number(rec.recovered ?? 0);
        check();
      }
      if (rec.level !== undefined && Number(rec.level) >= 50) process.stderr.write(`${line}\n`);
    });
  });
  // Let the loop settle (recovery's last batch, the first GC) before reading the RSS.
  await new Promise((r) => setTimeout(r, 1000));
  const rssMb = rssOf(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { greetingMs: greetingAt - t0, scheduledMs: (scheduledAt || greetingAt) - t0, rssMb, recovered };
}

export async function run(total = Number(process.env.BENCH_RESTART_MESSAGES ?? 100_000)): Promise<void> {
  const keep = process.env.BENCH_RESTART_DIR;
  const base = keep ?? mkdtempSync(join(tmpdir(), 'mailtrail-bench-restart-'));
  const full = join(base, 'full');
  const empty = join(base, 'empty');
  try {
    const relayPort = await closedPort();
    for (const dir of [full, empty]) mkdirSync(dir, { recursive: true });
    const fullConfig = join(base, 'full.yaml');
    const emptyConfig = join(base, 'empty.yaml');
    writeFileSync(fullConfig, configText(full, relayPort));
    writeFileSync(emptyConfig, configText(empty, relayPort));
    const marker = join(full, `filled-${total}`);
    if (!existsSync(marker)) {
      await fill(full, fullConfig, total);
      writeFileSync(marker, '');
    } else {
      console.log(`restart: reusing ${full} (${total.toLocaleString('en')} deferred messages)`);
    }
    if (!process.env.BENCH_RESTART_BIN) buildDist();
    const empty0 = await measureStart(emptyConfig, false);
    console.log(
      `restart: empty queue: first 220 after ${Math.round(empty0.greetingMs)} ms, RSS ${empty0.rssMb.toFixed(0)} MB`,
    );
    const figures = await measureStart(fullConfig, true);
    console.log(
      `restart: ${figures.recovered.toLocaleString('en')} deferred messages: first 220 after ${Math.round(figures.greetingMs)} ms, ` +
        `every one scheduled after ${Math.round(figures.scheduledMs)} ms, RSS ${figures.rssMb.toFixed(0)} MB (+${(figures.rssMb - empty0.rssMb).toFixed(0)} MB over the empty queue)`,
    );
  } finally {
    if (!keep) rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
