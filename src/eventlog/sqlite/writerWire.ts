/**
 * What crosses between the sqlite log and its writer thread (writerThread.ts): the requests,
 * the per-batch results, and errors flattened to plain data, since a class does not survive
 * structured clone. errorFromWire() gives callers the same typed errors as the on-loop writer:
 * ExpectedRevisionConflictError, EventLogWriteError for a failed batch (its cause keeps SQLite's
 * code, e.g. SQLITE_FULL), and an Error carrying the original code for anything else.
 */
import { ExpectedRevisionConflictError, type AppendResult, type ExpectedRevision } from '../eventLog.js';
import type { AppendRequest } from './eventWriter.js';
import type { GroupCommitStats } from './groupCommit.js';
import { EventLogWriteError } from './sqliteErrors.js';

export type ToWriter =
  | { kind: 'appends'; items: { id: number; request: AppendRequest }[] }
  | { kind: 'flush'; id: number }
  | { kind: 'deleteStreamsBefore'; id: number; prefix: string; isoTime: string }
  | { kind: 'close'; id: number };

export interface WireError {
  name: string;
  message: string;
  code?: string;
  /** The whole transaction failed (disk full, I/O error, lock timeout). */
  batch?: boolean;
  stream?: string;
  expected?: ExpectedRevision;
  actual?: bigint | 'no_stream';
}

export type WireResult = { id: number; ok: true; value: AppendResult } | { id: number; ok: false; error: WireError };

export type FromWriter =
  | { kind: 'batch'; results: WireResult[]; stats: GroupCommitStats }
  | { kind: 'done'; id: number; value?: number }
  | { kind: 'failed'; id?: number; error: WireError };

export function errorToWire(error: unknown, batch = false): WireError {
  if (error instanceof ExpectedRevisionConflictError) {
    return {
      name: error.name,
      message: error.message,
      code: error.code,
      stream: error.stream,
      expected: error.expected,
      actual: error.actual,
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  return {
    name: e.name,
    message: e.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(batch ? { batch } : {}),
  };
}

export function errorFromWire(wire: WireError, path: string): Error {
  if (
    wire.code === 'ERR_EXPECTED_REVISION' &&
    wire.stream !== undefined &&
    wire.expected !== undefined &&
    wire.actual !== undefined
  ) {
    return new ExpectedRevisionConflictError(wire.stream, wire.expected, wire.actual);
  }
  const plain = Object.assign(new Error(wire.message), wire.code === undefined ? {} : { code: wire.code });
  plain.name = wire.name;
  return wire.batch ? new EventLogWriteError(path, plain) : plain;
}
