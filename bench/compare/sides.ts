/**
 * The two sides of `npm run bench -- compare`, each run under the same load: smtp-source
 * (N messages of L bytes over S sessions, with -d when connections are reused) plus the
 * latency probe (probe.ts) beside it. Each side's processes run in a cgroup of their own
 * (cpuGroup.ts), so "CPU" is every process of that side: Postfix's master, smtpd, cleanup,
 * qmgr, trivial-rewrite, virtual/discard/pipe and maildrop; mailtrail's daemon with its
 * threads and the maildrop processes it starts. Neither smtp-source nor the probe is counted.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { CpuGroup } from './cpuGroup.js';

export interface Load {
  readonly n: number;
  /**
   * Messages sent (same shape, no probe) and fully delivered before the measured run, on both
   * sides: the figures are then those of a running server, not of its first seconds (for the
   * daemon those include V8 compiling its hot code, about 2 s of CPU). 0: measured from a cold start.
   */
  readonly warm: number;
  readonly sessions: number;
  readonly bytes: number;
  readonly reuse: boolean;
  readonly probeSessions: number;
}

export interface SideResult {
  /** Messages handled: smtp-source's N plus the probe's. */
  readonly messages: number;
  readonly acceptS: number;
  readonly drainS: number;
  readonly cpuMs: number | undefined;
  readonly latenciesMs: readonly number[];
  readonly load1: number;
}

export type MailtrailRelay = 'maildir' | 'blackhole' | 'maildrop';
export type PostfixVariant = 'maildir' | 'discard' | 'maildrop';

const root = join(import.meta.dirname, '..', '..');
const load1 = (): number => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
let groups = 0;
const groupName = (side: string): string => `mailtrail-compare-${process.pid}-${side}-${++groups}`;

interface Probe {
  child: ChildProcess;
  result: Promise<{ sent: number; latenciesMs: number[] }>;
}

async function startProbe(port: number, load: Load): Promise<Probe> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'probe.ts'),
      '127.0.0.1',
      String(port),
      load.reuse ? 'reuse' : 'conn',
      String(load.bytes),
      String(load.probeSessions),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.setEncoding('utf8');
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.startsWith('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the probe exited (${code}) before it was ready`)));
  });
  const result = new Promise<{ sent: number; latenciesMs: number[] }>((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) reject(new Error(`the probe exited (${code}) without results`));
      else resolve(JSON.parse(line) as { sent: number; latenciesMs: number[] });
    });
  });
  await ready;
  return { child, result };
}

function smtpSourceArgs(load: Load, target: string, messages = load.n): string[] {
  return [
    ...(load.reuse ? ['-d'] : []),
    '-s',
    String(load.sessions),
    '-m',
    String(messages),
    '-l',
    String(load.bytes),
    '-f',
    'a@x.test',
    '-t',
    'user@y.test',
    target,
  ];
}

/** Finds the TCP port a process listens on (the daemon listens on 127.0.0.1:0). */
async function listeningPort(pid: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
    const m = new RegExp(`127\\.0\\.0\\.1:(\\d+)\\s.*pid=${pid},`).exec(out);
    if (m) return Number(m[1]);
    if (Date.now() - started > 30_000) throw new Error('the daemon did not start listening');
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface MailtrailSettings {
  readonly writer: 'loop' | 'thread';
  /** Extra YAML lines for the daemon's configuration (e.g. spool settings under test). */
  readonly extraConfig?: string;
}

let built = false;
/** The installed command runs dist/ (no tsx loader thread, as in production): built once per run. */
function buildDist(): void {
  if (built) return;
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  built = true;
}

export async function runMailtrail(
  relay: MailtrailRelay,
  load: Load,
  settings: MailtrailSettings,
): Promise<SideResult> {
  buildDist();
  const dir = mkdtempSync(join(tmpdir(), `mailtrail-compare-${relay}-`));
  const relayYaml =
    relay === 'maildir'
      ? `{ type: maildir, root: ${join(dir, 'mail')} }`
      : relay === 'blackhole'
        ? '{ type: blackhole }'
        : `{ type: maildrop, path: /usr/bin/maildrop, args: [${join(dir, 'mailfilter')}] }`;
  if (relay === 'maildrop') {
    for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(dir, 'md', sub), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'mailfilter'), `to "${join(dir, 'md')}/"\n`, { mode: 0o600 });
    chmodSync(join(dir, 'mailfilter'), 0o600);
  }
  const config = join(dir, 'mailtrail.yaml');
  writeFileSync(
    config,
    `hostname: bench.x.test
dataDir: ${dir}
smtp: { listen: 127.0.0.1:0, domains: [y.test], maxClients: 200, greetDelay: 0, reverseLookup: false, clientLimitExceptions: ["127.0.0.0/8"] }
relay: ${relayYaml}
log: { level: info }
eventLog: { type: sqlite, writer: ${settings.writer} }
${settings.extraConfig ?? ''}
`,
  );
  const group = new CpuGroup(groupName('mailtrail'));
  // The shell joins the group first, then becomes the daemon: every thread and child it starts is counted.
  const join_ = group.procsFile ? `echo $$ > '${group.procsFile}'; ` : '';
  // BENCH_CPU_PROF=<dir>: the daemon writes a V8 CPU profile there when it exits (node --cpu-prof).
  const prof = process.env.BENCH_CPU_PROF ? `--cpu-prof --cpu-prof-dir='${process.env.BENCH_CPU_PROF}' ` : '';
  const child = spawn(
    'sh',
    ['-c', `${join_}exec "$0" ${prof}bin/mailtrail.js run --config "$1"`, process.execPath, config],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    const port = await listeningPort(child.pid!);
    const events = join(dir, 'events.sqlite');
    return await measure(
      port,
      load,
      () => group.usageMs() ?? procCpuMs(child.pid!),
      (total, since) => untilFinal(events, total, since),
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    group.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One side's run on `port`: the warm-up (delivered, not counted), then smtp-source with the
 * probe beside it; `cpuMs` reads the side's CPU so far, `untilDone(total, since)` waits until
 * `total` messages (warm-up included) are final.
 */
async function measure(
  port: number,
  load: Load,
  cpuMs: () => number,
  untilDone: (total: number, since: number) => Promise<void>,
): Promise<SideResult> {
  if (load.warm > 0) {
    execFileSync('smtp-source', smtpSourceArgs(load, `127.0.0.1:${port}`, load.warm), { stdio: 'ignore' });
    await untilDone(load.warm, performance.now());
  }
  const probe = await startProbe(port, load);
  const before = load1();
  const cpu0 = cpuMs();
  const t0 = performance.now();
  probe.child.kill('SIGUSR1');
  execFileSync('smtp-source', smtpSourceArgs(load, `127.0.0.1:${port}`), { stdio: 'ignore' });
  probe.child.kill('SIGUSR2');
  const t1 = performance.now();
  const { sent, latenciesMs } = await probe.result;
  const total = load.n + sent;
  await untilDone(load.warm + total, t0);
  const t2 = performance.now();
  return {
    messages: total,
    acceptS: (t1 - t0) / 1000,
    drainS: (t2 - t0) / 1000,
    cpuMs: cpuMs() - cpu0,
    latenciesMs,
    load1: before,
  };
}

/** The group's CPU time since the wrapper copied its usage to `file` (all of it without that copy). */
function cpuSince(group: CpuGroup, file: string): number | undefined {
  const now = group.usageMs();
  if (now === undefined || !existsSync(file)) return now;
  const before = group.parseUsageMs(readFileSync(file, 'utf8'));
  return before === undefined ? undefined : now - before;
}

/** Waits until `total` messages of the daemon's log are final (delivered, here). */
async function untilFinal(events: string, total: number, since: number): Promise<void> {
  const log = new SqliteEventLog(events, { readonly: true });
  try {
    await untilCount(log.database.prepare('SELECT count(*) AS n FROM messages WHERE live = 0'), total, since);
  } finally {
    await log.close();
  }
}

async function untilCount(count: { get(): unknown }, total: number, since: number): Promise<void> {
  while (Number((count.get() as { n: number | bigint }).n) < total) {
    if (performance.now() - since > 600_000) throw new Error('the messages were not final within 10 minutes');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export type FloorMode = 'accept' | 'maildir';

/**
 * The floor program (floor.ts) under the same load: what a durable MDA in Node that keeps no
 * history costs on this machine, so a target can be told apart from what the machine allows.
 */
export async function runFloor(mode: FloorMode, load: Load): Promise<SideResult> {
  const dir = mkdtempSync(join(tmpdir(), `mailtrail-floor-${mode}-`));
  const group = new CpuGroup(groupName('floor'));
  const join_ = group.procsFile ? `echo $$ > '${group.procsFile}'; ` : '';
  const child = spawn(
    'sh',
    [
      '-c',
      `${join_}exec "$0" --import tsx "$1" "$2" "$3"`,
      process.execPath,
      join(import.meta.dirname, 'floor.ts'),
      dir,
      mode,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        out += chunk;
        const m = /^port (\d+)$/m.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`the floor program exited (${code}) before it listened`)));
    });
    const db = new Database(join(dir, 'floor.sqlite'), { readonly: true });
    const count = db.prepare('SELECT count(*) AS n FROM messages WHERE done = 1');
    try {
      return await measure(
        port,
        load,
        () => group.usageMs() ?? procCpuMs(child.pid!),
        (total, since) => untilCount(count, total, since),
      );
    } finally {
      db.close();
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    group.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Without a cgroup: the daemon's own CPU time plus that of the children it has reaped. */
function procCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / 100;
}

/**
 * Postfix through ../shared/peers/postfix-bench.sh (it writes /etc/postfix, starts Postfix on
 * 127.0.0.1:2600, runs smtp-source, waits until every message is delivered and the queue is
 * empty, stops Postfix). A wrapper named smtp-source, first on its PATH, moves Postfix's
 * processes into the cgroup, starts the probe, runs the real smtp-source and stops the probe.
 */
export async function runPostfix(variant: PostfixVariant, load: Load, script: string): Promise<SideResult> {
  const base = mkdtempSync(join(tmpdir(), 'postfix-compare-'));
  chmodSync(base, 0o755); // virtual(8) and maildrop run as vmail and must reach the Maildirs under it
  const bin = join(base, 'bin');
  mkdirSync(bin);
  const group = new CpuGroup(groupName('postfix'));
  const port = Number(process.env.PORT ?? 2600);
  const probe = await startProbe(port, load);
  writeFileSync(
    join(bin, 'smtp-source'),
    `#!/bin/bash
procs='${group.procsFile ?? ''}'
add(){ # $1 and its descendants (ppid from /proc/<pid>/stat: no procps needed)
  echo "$1" > "$procs" 2>/dev/null || true
  local f line state ppid
  for f in /proc/[0-9]*/stat; do
    line=$(<"$f") 2>/dev/null || continue
    read -r state ppid _ <<<"\${line##*) }"
    if [[ $ppid == "$1" ]]; then f=\${f#/proc/}; add "\${f%/stat}"; fi
  done; }
master=$(tr -d ' ' < /var/spool/postfix/pid/master.pid 2>/dev/null || true)
[[ -n "$procs" && -n "$master" ]] && add "$master"
real=${execFileSync('bash', ['-c', 'command -v smtp-source'], { encoding: 'utf8' }).trim()}
warm=${load.warm}
if (( warm > 0 )); then # the same load with -m $warm, delivered, then the log emptied as the script does before its run
  args=("$@"); for i in "\${!args[@]}"; do [[ \${args[$i]} == -m ]] && args[$((i + 1))]=$warm; done
  "$real" "\${args[@]}" || exit $?
  start=$(date +%s)
  until (( $(grep -cE 'status=sent' '${base}/postfix.log' 2>/dev/null || true) >= warm )) &&
        (( $(find /var/spool/postfix/{maildrop,incoming,active,deferred,hold} -type f 2>/dev/null | wc -l) == 0 )); do
    (( $(date +%s) - start > 600 )) && { echo "warm-up not delivered within 600 s" >&2; exit 1; }
    sleep 0.1
  done
  : > '${base}/postfix.log'
fi
${group.usageFile ? `cat '${group.usageFile}' > '${base}/cpu0'` : ''}
cut -d' ' -f1 /proc/loadavg > '${base}/load1'
date +%s.%N > '${base}/t0'
kill -USR1 ${probe.child.pid}
rc=0; "$real" "$@" || rc=$?
kill -USR2 ${probe.child.pid}
date +%s.%N > '${base}/t1'
exit $rc
`,
    { mode: 0o755 },
  );
  try {
    execFileSync('bash', [script], {
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        N: String(load.n),
        S: String(load.sessions),
        L: String(load.bytes),
        BASE: base,
        SRC_OPTS: load.reuse ? '-d' : '',
        VARIANTS: variant,
        QUIET_BUSY: process.env.QUIET_BUSY ?? '100',
      },
      stdio: ['ignore', 'ignore', process.env.BENCH_VERBOSE ? 'inherit' : 'ignore'],
    });
    const { sent, latenciesMs } = await probe.result;
    const row = readFileSync(join(base, 'results.tsv'), 'utf8').trim().split('\n').at(-1)!.split('\t');
    const [scriptAccept, scriptDrain] = [Number(row[7]), Number(row[9])];
    const acceptS = Number(readFileSync(join(base, 't1'), 'utf8')) - Number(readFileSync(join(base, 't0'), 'utf8'));
    // The script's clock started just before the wrapper's; take the wrapper's start as t0.
    const drainS = scriptDrain - (scriptAccept - acceptS);
    return {
      messages: load.n + sent,
      acceptS,
      drainS,
      cpuMs: cpuSince(group, join(base, 'cpu0')),
      latenciesMs,
      load1: Number(readFileSync(join(base, 'load1'), 'utf8')),
    };
  } finally {
    if (probe.child.exitCode === null) probe.child.kill('SIGKILL');
    execFileSync('bash', [script, 'restore'], { env: { ...process.env, BASE: base }, stdio: 'ignore' });
    group.remove();
    rmSync(base, { recursive: true, force: true });
  }
}
