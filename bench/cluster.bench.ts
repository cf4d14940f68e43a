/**
 * Shared-log throughput: the same load (smtp-source, N messages of L bytes over S sessions in
 * all, split evenly across the daemons) against one daemon on sqlite, one on PostgreSQL, and
 * two and three daemons on one PostgreSQL (a real server started in a temp directory, as the
 * tests do), blackhole relay (queue, log and bodies; no mailbox). Prints accepted and
 * delivered msg/s and the daemons' CPU per message (user + system of the daemon processes;
 * the PostgreSQL server's own CPU is not counted). BENCH_CLUSTER_N, _S, _L change the load.
 * One machine runs everything here, so more daemons share the same cores: the figures show
 * the cost of sharing the log, not the gain of more machines.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { SqliteEventLog } from '../src/eventlog/sqlite/sqliteEventLog.js';
import { startPostgres, type PostgresServer } from '../test/support/postgresServer.js';

const N = Number(process.env.BENCH_CLUSTER_N ?? 1200);
const S = Number(process.env.BENCH_CLUSTER_S ?? 12);
const L = Number(process.env.BENCH_CLUSTER_L ?? 2048);
const root = join(import.meta.dirname, '..');
const execFileP = promisify(execFile);

interface Row {
  setup: string;
  acceptS: number;
  acceptRate: number;
  drainS: number;
  deliveredRate: number;
  cpuMsPerMsg: number;
}

function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

interface Daemon {
  child: ChildProcess;
  port: number;
}

function startDaemon(config: string): Promise<Daemon> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/run.ts'), 'run', '--config', config], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { listening?: { port: number }[] };
        if (rec.listening?.[0]) resolve({ child, port: rec.listening[0].port });
      } catch {
        /* not a log line */
      }
    });
    child.once('exit', (code) => reject(new Error(`daemon exited ${code} before listening`)));
  });
}

function configFor(dir: string, node: string, eventLog: string): string {
  const file = join(dir, `${node}.yaml`);
  writeFileSync(
    file,
    `hostname: bench.x.test
node: ${node}
dataDir: ${join(dir, node)}
eventLog: ${eventLog}
smtp: { listen: 127.0.0.1:0, domains: [y.test], maxClients: 200, greetDelay: 0, clientLimitExceptions: ["127.0.0.0/8"] }
relay: { type: blackhole }
log: { level: info }
`,
  );
  return file;
}

async function measure(setup: string, daemons: Daemon[], finalCount: () => Promise<number>): Promise<Row> {
  const cpu0 = daemons.reduce((sum, d) => sum + cpuMs(d.child.pid!), 0);
  const t0 = performance.now();
  const per = Math.floor(N / daemons.length);
  const sessions = Math.max(1, Math.floor(S / daemons.length));
  await Promise.all(
    daemons.map((d, i) => {
      const count = i === daemons.length - 1 ? N - per * (daemons.length - 1) : per;
      return execFileP('smtp-source', [
        '-s',
        String(sessions),
        '-m',
        String(count),
        '-l',
        String(L),
        '-f',
        'a@x.test',
        '-t',
        'user@y.test',
        `127.0.0.1:${d.port}`,
      ]);
    }),
  );
  const t1 = performance.now();
  let final = 0;
  while (final < N && performance.now() - t0 < 600_000) {
    final = await finalCount();
    if (final < N) await new Promise((r) => setTimeout(r, 50));
  }
  const t2 = performance.now();
  const cpu = daemons.reduce((sum, d) => sum + cpuMs(d.child.pid!), 0) - cpu0;
  return {
    setup,
    acceptS: (t1 - t0) / 1000,
    acceptRate: N / ((t1 - t0) / 1000),
    drainS: (t2 - t0) / 1000,
    deliveredRate: final / ((t2 - t0) / 1000),
    cpuMsPerMsg: cpu / N,
  };
}

async function stopAll(daemons: Daemon[]): Promise<void> {
  await Promise.all(
    daemons.map(
      (d) =>
        new Promise((r) => {
          d.child.once('exit', r);
          d.child.kill('SIGTERM');
        }),
    ),
  );
}

async function sqliteRow(): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-bench-cluster-'));
  const daemons = [await startDaemon(configFor(dir, 'mx1', '{ type: sqlite }'))];
  try {
    const log = new SqliteEventLog(join(dir, 'mx1', 'events.sqlite'), { readonly: true });
    try {
      return await measure('1 daemon, sqlite', daemons, async () =>
        Number((log.database.prepare('SELECT count(*) AS n FROM messages WHERE live = 0').get() as { n: number }).n),
      );
    } finally {
      await log.close();
    }
  } finally {
    await stopAll(daemons);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresRow(server: PostgresServer, nodes: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-bench-cluster-'));
  const url = await server.createDatabase();
  const daemons: Daemon[] = [];
  try {
    for (let i = 1; i <= nodes; i++)
      daemons.push(
        await startDaemon(configFor(dir, `mx${i}`, `{ type: postgres, connectionString: ${JSON.stringify(url)} }`)),
      );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const count = async () =>
        Number(
          (
            await client.query<{ n: string }>(
              `SELECT count(*) AS n FROM mailtrail_events WHERE stream LIKE 'message-%' AND metadata->>'state' IN ('delivered', 'bounced')`,
            )
          ).rows[0]!.n,
        );
      return await measure(`${nodes} daemon${nodes > 1 ? 's' : ''}, one PostgreSQL`, daemons, count);
    } finally {
      await client.end();
    }
  } finally {
    await stopAll(daemons);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log(
    `cluster: smtp-source, ${N} messages of ${L} bytes over ${S} sessions in all, split across the daemons; blackhole relay; one machine`,
  );
  const rows: Row[] = [await sqliteRow()];
  const server = await startPostgres();
  try {
    for (const nodes of [1, 2, 3]) rows.push(await postgresRow(server, nodes));
  } finally {
    await server.stop();
  }
  console.log('setup                       accept s  accepted msg/s  drain s  delivered msg/s  daemons CPU ms/msg');
  for (const r of rows) {
    console.log(
      `${r.setup.padEnd(26)} ${r.acceptS.toFixed(2).padStart(8)}  ${r.acceptRate.toFixed(0).padStart(14)}  ${r.drainS.toFixed(2).padStart(7)}  ${r.deliveredRate.toFixed(0).padStart(15)}  ${r.cpuMsPerMsg.toFixed(2).padStart(18)}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
