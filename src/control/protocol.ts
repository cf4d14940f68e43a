/**
 * The control socket's protocol: one JSON object per line each way. A request names an
 * operator `op` (and the message `id` for the ones that need it); a reply is
 * `{ ok: true, state?, count? }` or `{ ok: false, error, code?, state? }` (a refusal names the
 * message's state and says in plain words what to do instead). parseRequest never throws:
 * a malformed line, an unknown op or a missing id is a ControlProtocolError the server sends back.
 * `enqueue` is the one request with a payload: its line gives the envelope and `size`, and
 * exactly `size` bytes of message follow it; the reply `{ ok: true, id }` comes once the
 * message and its MessageReceived are durable (origin `local`).
 */
import { join } from 'node:path';
import { MailtrailError } from '../errors/mailtrailError.js';

/** Where the daemon listens: `<dataDir>/control.sock`. */
export const controlSocketPath = (dataDir: string): string => join(dataDir, 'control.sock');

export const CONTROL_OPS = [
  'retry',
  'retryAll',
  'hold',
  'release',
  'delete',
  'bounce',
  'requeue',
  'requeueQuarantined',
  'enqueue',
  'ping',
] as const;
export type ControlOp = (typeof CONTROL_OPS)[number];

/** Ops that act on one message and need its id. */
export const MESSAGE_OPS: readonly ControlOp[] = ['retry', 'hold', 'release', 'delete', 'bounce', 'requeue'];

export interface ControlRequest {
  readonly op: ControlOp;
  readonly id?: string;
  /** `enqueue` (the pickup of `mailtrail sendmail`): the envelope and the message's size in bytes, which follow the line. */
  readonly sender?: string;
  readonly recipients?: readonly string[];
  readonly size?: number;
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

/** The most recipients one `enqueue` may name. */
export const MAX_ENQUEUE_RECIPIENTS = 1000;

/** An address as `enqueue` takes it: local@domain, no blanks, controls or angle brackets. */
export const isEnvelopeAddress = (a: unknown): a is string =>
  typeof a === 'string' && a.length <= 998 && /^[^\s<>@\x00-\x1f\x7f]+@[^\s<>@\x00-\x1f\x7f]+$/.test(a);

export type ControlReply =
  | {
      readonly ok: true;
      readonly state?: string;
      readonly count?: number;
      readonly pid?: number;
      readonly id?: string;
      readonly results?: readonly RequeueReplyItem[];
    }
  | { readonly ok: false; readonly error: string; readonly code?: string; readonly state?: string };

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
  const { op, id, sender, recipients, size } = value as {
    op?: unknown;
    id?: unknown;
    sender?: unknown;
    recipients?: unknown;
    size?: unknown;
  };
  if (!isOp(op))
    return new ControlProtocolError(
      `unknown op ${JSON.stringify(op) ?? 'undefined'}; expected one of ${CONTROL_OPS.join(', ')}`,
    );
  if (op === 'enqueue') {
    if (sender !== '' && !isEnvelopeAddress(sender))
      return new ControlProtocolError('op "enqueue" needs a "sender": an address, or "" for the null sender');
    if (
      !Array.isArray(recipients) ||
      recipients.length === 0 ||
      recipients.length > MAX_ENQUEUE_RECIPIENTS ||
      !recipients.every(isEnvelopeAddress)
    ) {
      return new ControlProtocolError(`op "enqueue" needs "recipients": 1 to ${MAX_ENQUEUE_RECIPIENTS} addresses`);
    }
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
      return new ControlProtocolError('op "enqueue" needs "size": the number of bytes that follow the line');
    return { op, sender: sender as string, recipients: recipients as string[], size };
  }
  if (MESSAGE_OPS.includes(op)) {
    if (typeof id !== 'string' || id.length === 0 || id.length > 200)
      return new ControlProtocolError(`op "${op}" needs a message "id"`);
    return { op, id };
  }
  if (op === 'requeueQuarantined') {
    const { force } = value as { force?: unknown };
    if (id !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > 200))
      return new ControlProtocolError('op "requeueQuarantined": "id" must be a body id');
    return { op, ...(typeof id === 'string' ? { id } : {}), ...(force === true ? { force: true } : {}) };
  }
  return { op };
}

export const encodeLine = (value: ControlRequest | ControlReply): string => `${JSON.stringify(value)}\n`;
