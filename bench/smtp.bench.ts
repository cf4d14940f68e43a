/**
 * End-to-end SMTP throughput of the daemon, measured the way ../shared/peers/postfix-bench.sh
 * measures Postfix: Postfix's own load generator smtp-source sends N messages of L bytes over
 * S parallel sessions to `mailtrail run` on loopback; "accept" is smtp-source's wall time,
 * "drain" the time until every message is final. Variants: maildir (native Maildir delivery)
 * and blackhole (queue and log, no delivery). BENCH_SMTP_N, _S, _L change the load. Prints a
 * table in the same columns as the Postfix script's results.tsv; with BENCH_POSTFIX=1 (root)
 * it runs that script too, with the same N, S, L, for a side-by-side table. BENCH_SMTP_REUSE=1
 * sends many messages per connection (smtp-source -d).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteEventLog } from '../src/eventlog/sqlite/sqliteEventLog.js';

const N = Number(process.env.BENCH_SMTP_N ?? 2000);
const S = Number(process.env.BENCH_SMTP_S ?? 20);
const L = Number(process.env.BENCH_SMTP_L ?? 2048);
/** smtp-source -d: many messages per connection (SRC_OPTS=-d in the Postfix script). */
const REUSE = process.env.BENCH_SMTP_REUSE === '1';
/** Postfix's smtpd greets at once; smtp-server's default waits 100 ms (BENCH_SMTP_GREET=100ms). */
const GREET = process.env.BENCH_SMTP_GREET ?? '0';
/** Where the sqlite log commits: the event loop (default) or its writer thread (BENCH_WRITER=thread). */
const WRITER = process.env.BENCH_WRITER ?? 'loop';
const root = join(import.meta.dirname, '..');

interface Row {
  system: string;
  variant: string;
  acceptS: number;
  acceptRate: number;
  drainS: number;
  deliveredRate: number;
  cpuMsPerMsg?: number;
}

/** CPU time (user + system, all threads) a process has used so far, in ms, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

async function runMailtrail(variant: 'maildir' | 'blackhole'): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `mailtrail-bench-${variant}-`));
  const config = join(dir, 'mailtrail.yaml');
  writeFileSync(
    config,
    `hostname: bench.x.test
dataDir: ${dir}
smtp: { listen: 127.0.0.1:0, domains: [y.test], maxClients: 200, greetDelay: ${GREET}, clientLimitExceptions: ["127.0.0.0/8"] }
relay: ${variant === 'maildir' ? `{ type: maildir, root: ${join(dir, 'mail')} }` : '{ type: blackhole }'}
log: { level: warn }
eventLog: { type: sqlite, writer: ${WRITER} }
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/run.ts'), 'run', '--config', config], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env },
  });
  try {
    // The listening line is logged at info; with level warn, find the port from the socket table instead.
    const port = await new Promise<number>((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        try {
          const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
          const m = new RegExp(`127\\.0\\.0\\.1:(\\d+)\\s.*pid=${child.pid},`).exec(out);
          if (m) return resolve(Number(m[1]));
        } catch {
          /* ss missing: fall through */
        }
        if (Date.now() - started > 30_000) return reject(new Error('the daemon did not start listening'));
        setTimeout(poll, 100);
      };
      poll();
    });
    const cpu0 = cpuMs(child.pid!);
    const t0 = performance.now();
    execFileSync(
      'smtp-source',
      [
        ...(REUSE ? ['-d'] : []),
        '-s',
        String(S),
        '-m',
        String(N),
        '-l',
        String(L),
        '-f',
        'a@x.test',
        '-t',
        'user@y.test',
        `127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const t1 = performance.now();
    const log = new SqliteEventLog(join(dir, 'events.sqlite'), { readonly: true });
    let final = 0;
    try {
      for (;;) {
        const row = log.database.prepare('SELECT count(*) AS n FROM messages WHERE live = 0').get() as {
          n: number | bigint;
        };
        final = Number(row.n);
        if (final >= N || performance.now() - t0 > 600_000) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await log.close();
    }
    const t2 = performance.now();
    const cpuMsPerMsg = (cpuMs(child.pid!) - cpu0) / N;
    return {
      system: 'mailtrail',
      variant,
      acceptS: (t1 - t0) / 1000,
      acceptRate: N / ((t1 - t0) / 1000),
      drainS: (t2 - t0) / 1000,
      deliveredRate: final / ((t2 - t0) / 1000),
      cpuMsPerMsg,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

function runPostfix(): Row[] {
  const base = mkdtempSync(join(tmpdir(), 'postfix-bench-'));
  chmodSync(base, 0o755); // Postfix's virtual(8) runs as the vmail user and must reach the Maildirs under it
  execFileSync('bash', [join(root, '..', 'shared', 'peers', 'postfix-bench.sh')], {
    env: {
      ...process.env,
      N: String(N),
      S: String(S),
      L: String(L),
      BASE: base,
      SRC_OPTS: REUSE ? '-d' : '',
      VARIANTS: 'discard maildir',
      QUIET_BUSY: process.env.QUIET_BUSY ?? '100',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const rows = readFileSync(join(base, 'results.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'));
  execFileSync('bash', [join(root, '..', 'shared', 'peers', 'postfix-bench.sh'), 'restore'], {
    env: { ...process.env, BASE: base },
    stdio: 'ignore',
  });
  return rows.map((c) => ({
    system: 'postfix',
    variant: c[1] === 'discard' ? 'discard (≈ blackhole)' : c[1]!,
    acceptS: Number(c[7]),
    acceptRate: Number(c[8]),
    drainS: Number(c[9]),
    deliveredRate: Number(c[10]),
  }));
}

export async function run(): Promise<void> {
  console.log(
    `smtp: smtp-source -s ${S} -m ${N} -l ${L} against each system on loopback (${REUSE ? 'connections reused (-d)' : 'one message per connection'}; mailtrail greetDelay ${GREET})`,
  );
  const rows: Row[] = [await runMailtrail('blackhole'), await runMailtrail('maildir')];
  if (process.env.BENCH_POSTFIX === '1') rows.push(...runPostfix());
  console.log(`mailtrail: sqlite writer ${WRITER}, synchronous=FULL, bodies as fsynced files`);
  console.log(
    'system     variant                 accept s  accepted msg/s  drain s  delivered msg/s  daemon CPU ms/msg',
  );
  for (const r of rows) {
    console.log(
      `${r.system.padEnd(10)} ${r.variant.padEnd(22)} ${r.acceptS.toFixed(2).padStart(8)}  ${r.acceptRate.toFixed(0).padStart(14)}  ${r.drainS.toFixed(2).padStart(7)}  ${r.deliveredRate.toFixed(0).padStart(15)}  ${r.cpuMsPerMsg === undefined ? '—'.padStart(17) : r.cpuMsPerMsg.toFixed(2).padStart(17)}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
