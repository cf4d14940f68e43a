/**
 * Runs the command relays' programs through a spawn helper (spawnHelperMain.ts): a small,
 * long-lived Node process that forks them, so that mailtrail's daemon — a large process, on
 * a machine where creating a process is slow — never blocks its event loop in fork/exec.
 * `run()` has the contract of runCommand(): the message streams to the helper in chunks
 * (an unreadable message is an `abort`: the program is killed before end of input) and the
 * outcome comes back. The helper is started on first use, as the uid and gid mailtrail has
 * then (after the privilege drop), and again after it died or mailtrail's ids changed. A
 * helper that dies, or does not answer within the time limit plus a margin, is killed and
 * its runs end as `helperLost` (the recipient is deferred: the program may have delivered,
 * so a duplicate is possible, a loss is not). It never throws.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { commandEnv, DEFAULT_KILL_GRACE, type CommandExit, type CommandRun } from './runCommand.js';
import { fromWireExit, toWireError, type FromHelper, type ToHelper } from './spawnProtocol.js';

/** How long past a run's time limit and kill grace mailtrail waits for the helper's answer. */
export const HELPER_ANSWER_MARGIN = 10_000;

/** A message up to this size goes to the helper in one IPC message, with its request. */
export const FIRST_PART = 64 * 1024;

/** The helper's program, beside this file (.ts when run from source, .js when built). */
const HELPER_MAIN = fileURLToPath(
  new URL(`./spawnHelperMain${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

interface Pending {
  readonly child: ChildProcess;
  readonly settle: (exit: CommandExit) => void;
}

/** One helper process at a time, started when needed. */
export class SpawnHelper {
  #child: ChildProcess | undefined;
  #ids: { uid: number; gid: number } | undefined;
  readonly #pending = new Map<number, Pending>();
  /** Helpers replaced after a change of ids: disconnected once their runs have ended. */
  readonly #retired = new Set<ChildProcess>();
  #nextId = 1;
  /** Helpers started so far (the first, and one after each death). */
  started = 0;

  /** Runs the command through the helper; resolves with how it ended. */
  run(run: CommandRun): Promise<CommandExit> {
    let child: ChildProcess;
    try {
      child = this.#helper();
    } catch (err) {
      const reason = `the spawn helper could not start: ${err instanceof Error ? err.message : String(err)}`;
      return Promise.resolve({ kind: 'helperLost', reason });
    }
    const id = this.#nextId++;
    return new Promise<CommandExit>((resolve) => {
      const limit = run.timeout + (run.killGrace ?? DEFAULT_KILL_GRACE) + HELPER_ANSWER_MARGIN;
      const timer = setTimeout(
        () => this.#lose(child, `the spawn helper did not answer within ${limit / 1000}s`),
        limit,
      );
      this.#pending.set(id, {
        child,
        settle: (exit) => {
          clearTimeout(timer);
          this.#pending.delete(id);
          this.#idle(child);
          resolve(exit);
        },
      });
      ref(child);
      void this.#send(child, id, run);
    });
  }

  /** Stops the helpers (runs in progress end as helperLost). */
  close(): void {
    for (const child of [...this.#retired, ...(this.#child ? [this.#child] : [])])
      this.#lose(child, 'mailtrail closed the relay');
  }

  /** Runs in progress. */
  get running(): number {
    return this.#pending.size;
  }

  /** The pid of the current helper, if one runs (for tests and logs). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Sends the run: its first FIRST_PART bytes (a small message: all of it) with the request,
   * the rest in chunks. An unreadable message becomes an abort, after the request.
   */
  async #send(child: ChildProcess, id: number, run: CommandRun): Promise<void> {
    const live = (): boolean => this.#pending.get(id)?.child === child && child.connected;
    const first: Buffer[] = run.header === '' ? [] : [Buffer.from(run.header, 'utf8')];
    let size = first[0]?.length ?? 0;
    let started = false;
    const start = (end: boolean): boolean => {
      started = true;
      return post(child, {
        t: 'run',
        id,
        program: run.program,
        args: [...run.args],
        env: run.env ?? commandEnv(),
        timeout: run.timeout,
        ...(run.killGrace === undefined ? {} : { killGrace: run.killGrace }),
        input: first.length === 1 ? first[0]! : Buffer.concat(first),
        end,
      });
    };
    try {
      for await (const chunk of run.content() as AsyncIterable<string | Buffer>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        if (!started) {
          first.push(bytes);
          size += bytes.length;
          if (size >= FIRST_PART && !start(false)) return;
          continue;
        }
        if (!live()) return;
        await postData(child, { t: 'data', id, chunk: bytes });
      }
      if (!started) start(true);
      else if (live()) post(child, { t: 'end', id });
    } catch (err) {
      if (!started && !start(false)) return;
      if (live()) post(child, { t: 'abort', id, error: toWireError(err) });
    }
  }

  /** The running helper, started (again) when there is none or mailtrail's ids changed. */
  #helper(): ChildProcess {
    const ids = { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
    if (this.#child && this.#ids && (this.#ids.uid !== ids.uid || this.#ids.gid !== ids.gid)) {
      // mailtrail dropped privileges since: new runs go to a new helper with the new ids.
      this.#retired.add(this.#child);
      this.#idle(this.#child);
      this.#child = undefined;
    }
    if (this.#child) return this.#child;
    const program = helperProgram();
    const child = spawn(process.execPath, program.args, {
      stdio: [program.code === undefined ? 'ignore' : 'pipe', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
      detached: true, // its own process group: a terminal's ^C reaches mailtrail, which decides.
      env: process.env,
    });
    if (program.code !== undefined) {
      child.stdin?.on('error', () => undefined); // a helper that died at once: 'exit' tells
      child.stdin?.end(program.code);
    }
    this.started++;
    this.#child = child;
    this.#ids = ids;
    child.on('error', (err) => this.#lose(child, `the spawn helper failed: ${err.message}`));
    child.on('exit', (code, signal) =>
      this.#lose(child, `the spawn helper exited (${signal === null ? `status ${code}` : `signal ${signal}`})`),
    );
    child.on('message', (message: FromHelper) => {
      const pending = this.#pending.get(message.id);
      if (message.t === 'exit' && pending?.child === child) pending.settle(fromWireExit(message.exit));
    });
    unref(child);
    return child;
  }

  /** No run left on this helper: let mailtrail exit without it; a retired one is told to go. */
  #idle(child: ChildProcess): void {
    for (const pending of this.#pending.values()) if (pending.child === child) return;
    unref(child);
    if (this.#retired.delete(child) && child.connected) child.disconnect();
  }

  /** The helper is dead or useless: kill it and end its runs as helperLost. */
  #lose(child: ChildProcess, reason: string): void {
    if (this.#child === child) this.#child = undefined;
    this.#retired.delete(child);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pending of [...this.#pending.values()])
      if (pending.child === child) pending.settle({ kind: 'helperLost', reason });
  }
}

let bundled: string | null | undefined;

/**
 * How to start the helper: built (dist), its .js file; run from source (under tsx), the
 * same code bundled once with esbuild (which tsx brings) and read by plain `node` from
 * stdin, so the helper does not carry a TypeScript loader (tsx makes each fork about twice
 * as expensive); without esbuild, the .ts file under the loader mailtrail runs with.
 */
function helperProgram(): { args: string[]; code?: string } {
  const flags = helperExecArgv();
  if (!HELPER_MAIN.endsWith('.ts')) return { args: [...flags.profiling, HELPER_MAIN] };
  bundled ??= bundle();
  if (bundled === null) return { args: [...flags.loader, ...flags.profiling, HELPER_MAIN] };
  return { args: [...flags.profiling, '--input-type=module', '-'], code: bundled };
}

function bundle(): string | null {
  try {
    const esbuild = createRequire(import.meta.url)('esbuild') as {
      buildSync(options: object): { outputFiles: { text: string }[] };
    };
    const out = esbuild.buildSync({
      entryPoints: [HELPER_MAIN],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
    });
    return out.outputFiles[0]?.text ?? null;
  } catch {
    return null;
  }
}

/** The runtime flags the helper takes over: a loader (such as tsx) and CPU profiling, no others. */
function helperExecArgv(): { loader: string[]; profiling: string[] } {
  const loader: string[] = [];
  const profiling: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (/^--(import|require|loader|experimental-loader)$/.test(arg) && i + 1 < argv.length)
      loader.push(arg, argv[++i]!);
    else if (/^--(import|require|loader|experimental-loader)=/.test(arg)) loader.push(arg);
    else if (/^--cpu-prof-dir=/.test(arg) || arg === '--cpu-prof') profiling.push(arg);
  }
  return { loader, profiling };
}

function post(child: ChildProcess, message: ToHelper): boolean {
  if (!child.connected) return false;
  try {
    child.send(message);
    return true;
  } catch {
    return false; // the channel closed meanwhile: 'exit' ends the run
  }
}

/** Sends a chunk, waiting for it to leave when the channel is backed up. */
function postData(child: ChildProcess, message: ToHelper): Promise<void> {
  return new Promise((resolve) => {
    if (!child.connected) return resolve();
    try {
      if (child.send(message, () => resolve())) resolve();
    } catch {
      resolve();
    }
  });
}

function ref(child: ChildProcess): void {
  child.ref();
  child.channel?.ref();
}

function unref(child: ChildProcess): void {
  child.unref();
  child.channel?.unref();
}

/** Helpers in the shared pool: each blocks in fork/exec for every run, so two use both cores. */
export const SPAWN_HELPERS = 2;

/** A few helpers; a run goes to the one with the fewest runs in progress. */
export class SpawnHelperPool {
  readonly helpers: readonly SpawnHelper[];

  constructor(size = SPAWN_HELPERS) {
    this.helpers = Array.from({ length: Math.max(1, size) }, () => new SpawnHelper());
  }

  run(run: CommandRun): Promise<CommandExit> {
    let best = this.helpers[0]!;
    for (const helper of this.helpers) if (helper.running < best.running) best = helper;
    return best.run(run);
  }

  close(): void {
    for (const helper of this.helpers) helper.close();
  }
}

let shared: SpawnHelperPool | undefined;

/** The process's spawn helpers, shared by every command relay. */
export function sharedSpawnHelper(): SpawnHelperPool {
  shared ??= new SpawnHelperPool();
  return shared;
}
