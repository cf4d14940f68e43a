/**
 * The messages between mailtrail and its spawn helper (spawnHelper.ts, spawnHelperMain.ts),
 * sent over the helper's IPC channel with Node's 'advanced' serialization (Buffers pass as
 * they are). mailtrail → helper: `run` (argv, environment, limits and the first part of the
 * input: a small message goes whole, in one message), then the rest as `data` chunks closed
 * by `end`, or `abort` when it could not be read. helper → mailtrail:
 * `exit`, how the run ended (a CommandExit whose errors travel as message and code).
 */
import type { CommandExit } from './runCommand.js';

export type ToHelper =
  | {
      readonly t: 'run';
      readonly id: number;
      readonly program: string;
      readonly args: readonly string[];
      readonly env: NodeJS.ProcessEnv;
      readonly timeout: number;
      readonly killGrace?: number;
      /** The first bytes of stdin (header and message), and whether they are all of it. */
      readonly input: Uint8Array;
      readonly end: boolean;
    }
  | { readonly t: 'data'; readonly id: number; readonly chunk: Uint8Array }
  | { readonly t: 'end'; readonly id: number }
  | { readonly t: 'abort'; readonly id: number; readonly error: WireError };

export type FromHelper = { readonly t: 'exit'; readonly id: number; readonly exit: WireExit };

export interface WireError {
  readonly message: string;
  readonly code?: string;
}

export type WireExit =
  | Extract<CommandExit, { kind: 'exited' | 'signaled' | 'timedOut' }>
  | { kind: 'spawnFailed'; error: WireError }
  | { kind: 'readFailed'; error: WireError; output: string };

/** An error as it crosses the channel: its message and its code, nothing else. */
export function toWireError(err: unknown): WireError {
  const code = (err as { code?: unknown } | null)?.code;
  return {
    message: err instanceof Error ? err.message : String(err),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** An Error again, carrying the code it had. */
export function fromWireError(wire: WireError): Error {
  return Object.assign(new Error(wire.message), wire.code === undefined ? {} : { code: wire.code });
}

export function toWireExit(exit: CommandExit): WireExit {
  if (exit.kind === 'spawnFailed') return { kind: 'spawnFailed', error: toWireError(exit.error) };
  if (exit.kind === 'readFailed') return { kind: 'readFailed', error: toWireError(exit.error), output: exit.output };
  if (exit.kind === 'helperLost') return { kind: 'spawnFailed', error: { message: exit.reason } }; // not from runCommand
  return exit;
}

export function fromWireExit(exit: WireExit): CommandExit {
  if (exit.kind === 'spawnFailed') return { kind: 'spawnFailed', error: fromWireError(exit.error) };
  if (exit.kind === 'readFailed') return { kind: 'readFailed', error: fromWireError(exit.error), output: exit.output };
  return exit;
}
