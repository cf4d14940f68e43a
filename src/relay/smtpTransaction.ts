/**
 * One mail transaction on an open session, read back per recipient: MAIL FROM (the null
 * sender as `MAIL FROM:<>`, BODY=8BITMIME when the content has 8-bit bytes and the server
 * offers it, SMTPUTF8 when an address needs it), one RCPT per recipient, DATA. A RCPT
 * reply decides its recipient alone; the DATA reply (LMTP: each recipient's own) decides
 * the accepted ones. A bare CR in the content goes out as CRLF. Connection failures defer with 4.4.1/4.4.2. `retryElsewhere` says
 * the failure came before any recipient was answered, so another next hop may do better.
 * attemptDelivery wraps one transaction with the session pool: take or open, then park.
 */
import { normaliseBareCr } from './bareCr.js';
import type { DeliveryRequest, RecipientResult } from './relay.js';
import { connectionFailureStatus, oneLine, replyStatus, resultFromReply } from './replyStatus.js';
import { ClientSession, SessionFailure, type SendOutcome, type SessionOptions } from './smtpClientSession.js';
import type { SessionPool } from './sessionPool.js';

export interface TransactionResult {
  readonly results: RecipientResult[];
  readonly retryElsewhere: boolean;
}

const NON_ASCII = /[^\x00-\x7f]/;
/** What may not appear in an address we write into MAIL FROM/RCPT TO. */
const UNSAFE = /[<>\p{Cc}\s]/u;

/** Sends `request`'s content to `recipients` (unique) over `session`. */
export async function runTransaction(
  session: ClientSession,
  request: DeliveryRequest,
  recipients: readonly string[],
  eightBit: boolean,
): Promise<TransactionResult> {
  const sender = request.message.envelope.sender;
  const smtputf8 = session.extensions.includes('SMTPUTF8');
  if (UNSAFE.test(sender)) return everyone(recipients, 'permanent', '5.1.7', 'sender address is not valid in SMTP');
  if (NON_ASCII.test(sender) && !smtputf8) {
    return everyone(
      recipients,
      'permanent',
      '5.6.7',
      'SMTPUTF8 is required for the sender, but was not offered by the host',
    );
  }
  const early = new Map<string, RecipientResult>();
  const to: string[] = [];
  for (const recipient of recipients) {
    if (UNSAFE.test(recipient))
      early.set(recipient, {
        recipient,
        outcome: 'permanent',
        status: '5.1.3',
        reply: 'recipient address is not valid in SMTP',
      });
    else if (NON_ASCII.test(recipient) && !smtputf8) {
      early.set(recipient, {
        recipient,
        outcome: 'permanent',
        status: '5.6.7',
        reply: 'SMTPUTF8 is required, but was not offered by the host',
      });
    } else to.push(recipient);
  }
  if (to.length === 0) return { results: recipients.map((r) => early.get(r)!), retryElsewhere: false };

  const content = normaliseBareCr(request.openContent({ lineEndings: 'crlf' }));
  const outcome = await session.send({ from: sender, to, use8BitMime: eightBit, size: request.message.size }, content);
  const read = readOutcome(outcome, to);
  return { results: recipients.map((r) => early.get(r) ?? read.results.get(r)!), retryElsewhere: read.retryElsewhere };
}

/** Each recipient's result from what nodemailer reported. */
function readOutcome(
  outcome: SendOutcome,
  to: readonly string[],
): { results: Map<string, RecipientResult>; retryElsewhere: boolean } {
  const { envelope, error, info, dataReplies } = outcome;
  const results = new Map<string, RecipientResult>();
  // RCPT rejections first: they stand whatever happened later.
  for (const rejected of envelope.rejectedErrors ?? []) {
    const recipient = (rejected as { recipient?: string }).recipient;
    if (recipient !== undefined && rejected.command === 'RCPT TO' && typeof rejected.response === 'string') {
      results.set(recipient, resultFromReply(recipient, rejected.response));
    }
  }
  const answered = results.size + (envelope.accepted?.length ?? 0);
  const fallback = error ? failureResult(error) : undefined;
  for (const recipient of to) {
    if (results.has(recipient)) continue;
    const lmtpReply = dataReplies.get(recipient);
    if (lmtpReply !== undefined) results.set(recipient, resultFromReply(recipient, lmtpReply));
    else if (info) results.set(recipient, resultFromReply(recipient, info.response));
    else results.set(recipient, { recipient, ...fallback! });
  }
  return { results, retryElsewhere: fallback?.outcome === 'transient' && answered === 0 };
}

/** The result for a recipient left unanswered by a failed transaction. */
function failureResult(error: NonNullable<SendOutcome['error']>): Omit<RecipientResult, 'recipient'> {
  if (error.code === 'ESTREAM') {
    return { outcome: 'transient', status: '4.3.0', reply: `error reading message: ${oneLine(error.message)}` };
  }
  if (typeof error.response === 'string' && /^\d{3}/.test(error.response)) {
    const { outcome, status } = replyStatus(error.response);
    const where =
      error.command === 'MAIL FROM' ? 'MAIL FROM' : error.command === 'DATA' ? 'DATA' : (error.command ?? 'session');
    return { outcome, status, reply: `${where} refused: ${oneLine(error.response)}` };
  }
  if (error.code === 'EMESSAGE') {
    return { outcome: 'permanent', status: '5.3.4', reply: oneLine(error.message) };
  }
  return {
    outcome: 'transient',
    status: connectionFailureStatus(error),
    reply: `lost connection: ${oneLine(error.message)}`,
  };
}

function everyone(
  recipients: readonly string[],
  outcome: RecipientResult['outcome'],
  status: string,
  reply: string,
): TransactionResult {
  return { results: recipients.map((recipient) => ({ recipient, outcome, status, reply })), retryElsewhere: false };
}

/** Whether the content has a byte above 127 (then BODY=8BITMIME); a read error is thrown. */
export async function contentHas8Bit(request: DeliveryRequest): Promise<boolean> {
  const content = request.openContent({ lineEndings: 'crlf' });
  try {
    for await (const chunk of content) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      if (bytes.some((b) => b > 0x7f)) return true;
    }
    return false;
  } finally {
    (content as { destroy?: () => void }).destroy?.();
  }
}

export type AttemptResult =
  | { readonly ok: true; readonly results: RecipientResult[]; readonly retryElsewhere: boolean }
  | { readonly ok: false; readonly failure: SessionFailure };

/**
 * One transaction to one destination: a parked session from `pool` (RSET first) or a new
 * one, handed back to the pool afterwards while it is still usable.
 */
export async function attemptDelivery(
  pool: SessionPool,
  destination: string,
  options: SessionOptions,
  request: DeliveryRequest,
  recipients: readonly string[],
  eightBit: boolean,
): Promise<AttemptResult> {
  let session = pool.take(destination);
  if (session && !(await session.reset())) session = undefined;
  if (!session) {
    try {
      session = await ClientSession.open(options);
    } catch (err) {
      if (err instanceof SessionFailure) return { ok: false, failure: err };
      throw err;
    }
  }
  try {
    const { results, retryElsewhere } = await runTransaction(session, request, recipients, eightBit);
    return { ok: true, results, retryElsewhere };
  } finally {
    pool.give(destination, session);
  }
}

/** Each entry once, in first-seen order. */
export function unique(list: readonly string[]): string[] {
  return [...new Set(list)];
}
