/**
 * The control socket's protocol: one JSON object per line each way. A request names an
 * operator `op` (and the message `id` for the ones that need it); a reply is
 * `{ ok: true, state?, count? }` or `{ ok: false, error, code? }`. parseRequest never throws:
 * a malformed line, an unknown op or a missing id is a ControlProtocolError the server sends back.
 */
import { join } from 'node:path';
import { MailtrailError } from '../errors/mailtrailError.js';

/** Where the daemon listens: `<dataDir>/control.sock`. */
export const controlSocketPath = (dataDir: string): string => join(dataDir, 'control.sock');

export const CONTROL_OPS = ['retry', 'retryAll', 'hold', 'release', 'delete', 'bounce', 'requeue', 'requeueQuarantined', 'ping'] as const;
export type ControlOp = (typeof CONTROL_OPS)[number];

/** Ops that act on one message and need its id. */
export const MESSAGE_OPS: readonly ControlOp[] = ['retry', 'hold', 'release', 'delete', 'bounce', 'requeue'];

export interface ControlRequest {
  readonly op: ControlOp;
  readonly id?: string;
  /** requeueQuarantined: also a body cut short by a crash mid-DATA. */
  readonly force?: boolean;
}

/** One body's outcome of requeueQuarantined (src/queue/spoolRecovery.ts). */
export interface RequeueReplyItem {
  readonly id: string;
  readonly outcome: string;
  readonly sender?: string;
  readonly recipients?: readonly string[];
}

export type ControlReply =
  | { readonly ok: true; readonly state?: string; readonly count?: number; readonly pid?: number; readonly results?: readonly RequeueReplyItem[] }
  | { readonly ok: false; readonly error: string; readonly code?: string };

/** Reply codes a client can act on (catalogue: docs/cli.md, "Control socket"). */
export const ControlCodes = {
  badRequest: 'ERR_CONTROL_BAD_REQUEST',
  notFound: 'ERR_CONTROL_NOT_FOUND',
  refused: 'ERR_CONTROL_REFUSED',
  internal: 'ERR_CONTROL_INTERNAL',
} as const;

/** The longest request line accepted; longer input gets an error reply and the connection closes. */
export const MAX_REQUEST_BYTES = 16 * 1024;

export class ControlProtocolError extends MailtrailError {
  constructor(message: string) {
    super(ControlCodes.badRequest, message);
  }
}

const isOp = (v: unknown): v is ControlOp => typeof v === 'string' && (CONTROL_OPS as readonly string[]).includes(v);

/** A request line → the request, or a ControlProtocolError saying what is wrong with it. */
export function parseRequest(line: string): ControlRequest | ControlProtocolError {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return new ControlProtocolError('malformed request: expected one JSON object per line');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new ControlProtocolError('malformed request: expected a JSON object');
  }
  const { op, id } = value as { op?: unknown; id?: unknown };
  if (!isOp(op)) return new ControlProtocolError(`unknown op ${JSON.stringify(op) ?? 'undefined'}; expected one of ${CONTROL_OPS.join(', ')}`);
  if (MESSAGE_OPS.includes(op)) {
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) return new ControlProtocolError(`op "${op}" needs a message "id"`);
    return { op, id };
  }
  if (op === 'requeueQuarantined') {
    const { force } = value as { force?: unknown };
    if (id !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > 200)) return new ControlProtocolError('op "requeueQuarantined": "id" must be a body id');
    return { op, ...(typeof id === 'string' ? { id } : {}), ...(force === true ? { force: true } : {}) };
  }
  return { op };
}

export const encodeLine = (value: ControlRequest | ControlReply): string => `${JSON.stringify(value)}\n`;
