/**
 * The shared pipe runner of the command relays (maildrop, dovecot-lda, pipe): spawns one
 * program from an argv array (never a shell) in its own process group, writes a header and
 * the message to its stdin, and keeps the first 2 kB of its stdout+stderr for the reply.
 * Outcome: its exit code, the signal that killed it, `timedOut` (past the time limit the
 * group gets SIGTERM, then SIGKILL after a grace), `spawnFailed`, or `readFailed` (the
 * message could not be read; the child is killed before it sees EOF, so nothing truncated
 * is delivered). EPIPE on stdin (a child exiting without reading it all) is not an error:
 * its exit status decides, as in Postfix's pipe_command(). It never throws.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** How much command output is kept for the reply (Postfix keeps one VSTREAM buffer). */
export const OUTPUT_LIMIT = 2048;

/** How long a timed-out command has between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE = 2_000;

/** Environment variables passed on to the command; everything else is left out. */
const PASSED_ENV = ['PATH', 'TZ', 'LANG', 'LC_ALL', 'HOME', 'USER', 'LOGNAME'];

export interface CommandRun {
  /** Absolute path of the program. */
  readonly program: string;
  /** Arguments after the program name, each one argv entry. */
  readonly args: readonly string[];
  /** Written to stdin before the content ('' for none). */
  readonly header: string;
  readonly content: () => NodeJS.ReadableStream;
  /** Milliseconds for the whole run: writing the message and waiting for the exit. */
  readonly timeout: number;
  readonly killGrace?: number;
  /** The command's environment; default commandEnv() (the listed variables of ours). */
  readonly env?: NodeJS.ProcessEnv;
}

export type CommandExit =
  | { kind: 'exited'; code: number; output: string }
  | { kind: 'signaled'; signal: string; output: string }
  | { kind: 'timedOut'; output: string }
  | { kind: 'spawnFailed'; error: unknown }
  | { kind: 'readFailed'; error: unknown; output: string }
  /** The spawn helper that ran the command died before it reported (spawnHelper.ts). */
  | { kind: 'helperLost'; reason: string };

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** Runs the command once and reports how it ended. */
export function runCommand(run: CommandRun): Promise<CommandExit> {
  let child: Child;
  try {
    child = spawn(run.program, [...run.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      shell: false,
      env: run.env ?? commandEnv(),
    });
  } catch (error) {
    return Promise.resolve({ kind: 'spawnFailed', error });
  }
  return new Promise((resolve) => {
    const output = new OutputBuffer();
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let timedOut = false;
    let readError: { error: unknown } | undefined;
    let spawnError: unknown;
    const timers: NodeJS.Timeout[] = [];

    const onTimeout = (): void => {
      if (exit !== undefined) {
        // The child has exited; only its offspring still hold the pipes open.
        killGroup(child, 'SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        return;
      }
      timedOut = true;
      // stdin stays open: EOF now could let a program that catches SIGTERM deliver a
      // truncated message. A dead reader breaks the pipe and ends any pending write.
      killGroup(child, 'SIGTERM');
      timers.push(setTimeout(() => killGroup(child, 'SIGKILL'), run.killGrace ?? DEFAULT_KILL_GRACE));
    };
    timers.push(setTimeout(onTimeout, run.timeout));

    child.stdout.on('data', (chunk: Buffer) => output.add(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.add(chunk));
    child.stdin.on('error', () => undefined); // EPIPE and friends: the exit status decides.
    child.on('exit', (code, signal) => {
      exit = { code, signal };
    });
    child.on('error', (error) => {
      // Only a failed spawn reports here (we never kill through child.kill()).
      spawnError ??= error;
      if (child.pid === undefined) finish();
    });
    child.on('close', () => finish());

    let finished = false;
    function finish(): void {
      if (finished) return;
      finished = true;
      for (const timer of timers) clearTimeout(timer);
      child.stdin.destroy();
      const text = output.text();
      if (readError !== undefined) return resolve({ kind: 'readFailed', error: readError.error, output: text });
      if (timedOut) return resolve({ kind: 'timedOut', output: text });
      if (exit === undefined)
        return resolve({ kind: 'spawnFailed', error: spawnError ?? new Error('the command did not start') });
      if (exit.signal !== null) return resolve({ kind: 'signaled', signal: exit.signal, output: text });
      return resolve({ kind: 'exited', code: exit.code ?? 0, output: text });
    }

    if (child.pid === undefined) return; // 'error' follows and settles the run.
    feed(child.stdin, run.header, run.content).then(
      (error) => {
        if (error === undefined) return;
        // The message could not be read: the child must never see EOF on a partial message.
        readError = { error };
        killGroup(child, 'SIGKILL');
      },
      () => undefined,
    );
  });
}

/**
 * Writes the header and the content to stdin and ends it; stops quietly when stdin closes
 * first. Returns the content's read error, if any.
 */
async function feed(stdin: Writable, header: string, open: () => NodeJS.ReadableStream): Promise<unknown> {
  if (header !== '' && !(await write(stdin, Buffer.from(header, 'utf8')))) return undefined;
  let content: NodeJS.ReadableStream;
  try {
    content = open();
  } catch (err) {
    return err;
  }
  const chunks = content[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<string | Buffer>;
      try {
        next = await chunks.next();
      } catch (err) {
        return err;
      }
      if (next.done) break;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
      if (!(await write(stdin, chunk))) return undefined;
    }
  } finally {
    await chunks.return?.().catch(() => undefined);
  }
  if (isOpen(stdin)) stdin.end();
  return undefined;
}

/** Writes one chunk, waiting for drain; false once stdin is closed or broken. */
async function write(stdin: Writable, chunk: Buffer): Promise<boolean> {
  if (!isOpen(stdin)) return false;
  if (stdin.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      stdin.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    stdin.on('drain', done).on('close', done).on('error', done);
  });
  return isOpen(stdin);
}

function isOpen(stdin: Writable): boolean {
  return !stdin.destroyed && !stdin.writableEnded && stdin.errored === null;
}

/** Signals the child's whole process group (it leads one: spawned detached). */
function killGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** The environment of a command: only PASSED_ENV, taken from ours. */
export function commandEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

/** The first OUTPUT_LIMIT bytes of the command's output, made printable for a reply. */
class OutputBuffer {
  readonly #chunks: Buffer[] = [];
  #size = 0;

  add(chunk: Buffer): void {
    if (this.#size >= OUTPUT_LIMIT) return;
    const part = chunk.subarray(0, OUTPUT_LIMIT - this.#size);
    this.#chunks.push(part);
    this.#size += part.length;
  }

  text(): string {
    return Buffer.concat(this.#chunks)
      .toString('utf8')
      .replace(/[\t\r\n]+/g, ' ')
      .replace(/[\p{Cc}\uFFFD]/gu, '_')
      .replace(/ {2,}/g, ' ')
      .trim();
  }
}
