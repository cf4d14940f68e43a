/**
 * SMTP replies as data: `SmtpReply { code, enhanced?, message }`, mutable so a validator can
 * turn an acceptance into a refusal (as slimta's Reply). `replies` is the catalogue of every
 * line the edge itself writes (docs/smtp.md lists them; a test keeps the two in step).
 * `toSmtpServerError` hands a reply to smtp-server: the enhanced code rides at the start of the
 * message and EdgeSMTPConnection.send moves it into place, so each line carries it once.
 */
import { isEnhancedStatus, splitLeadingStatus } from '../mail/enhancedStatus.js';

export interface SmtpReply {
  code: number;
  /** RFC 3463 enhanced status code, e.g. '5.7.1'; omitted: smtp-server's table picks one. */
  enhanced?: string;
  message: string;
}

/**
 * The reply as it goes out: an enhanced code written at the start of `message` (slimta
 * style, '5.7.1 <a> Not allowed') moves to `enhanced`; an `enhanced` whose class differs from
 * the code's (left over from the reply a validator changed) is replaced by `<class>.0.0`.
 */
export function normalizeReply(reply: SmtpReply): SmtpReply {
  const cls = String(reply.code)[0];
  const lead = splitLeadingStatus(reply.message);
  if (lead && lead.status[0] === cls) return { code: reply.code, enhanced: lead.status, message: lead.rest };
  if (reply.enhanced && reply.enhanced[0] === cls && isEnhancedStatus(reply.enhanced)) return { ...reply };
  return {
    code: reply.code,
    ...(cls === '2' || cls === '4' || cls === '5' ? { enhanced: `${cls}.0.0` } : {}),
    message: reply.message,
  };
}

/** The line a client sees (without CRLF). */
export function replyLine(reply: SmtpReply): string {
  return [String(reply.code), reply.enhanced, reply.message].filter(Boolean).join(' ');
}

export function isRefusal(reply: SmtpReply): boolean {
  return reply.code >= 400;
}

/** smtp-server takes refusals as errors with `responseCode`; the text keeps the enhanced code. */
export function toSmtpServerError(reply: SmtpReply): Error & { responseCode: number } {
  const text = reply.enhanced ? `${reply.enhanced} ${reply.message}` : reply.message;
  return Object.assign(new Error(text), { responseCode: reply.code });
}

/** A reply the handler fills in; `accepted` is what the client gets if nobody objects. */
export const accepted = (message = 'Ok', enhanced = '2.0.0', code = 250): SmtpReply => ({ code, enhanced, message });

const r = (code: number, enhanced: string, message: string): SmtpReply => ({ code, enhanced, message });

/** Every reply line the edge writes itself (smtp-server's own lines are listed in docs/smtp.md). */
export const replies = {
  relayDenied: (addr: string) => r(550, '5.7.1', `<${addr}>: Relay access denied`),
  userUnknown: (addr: string) => r(550, '5.1.1', `<${addr}>: User unknown`),
  badLocalPart: (addr: string) => r(553, '5.1.3', `<${addr}>: Recipient address rejected: local part not allowed`),
  invalidHelo: (helo: string) => r(501, '5.5.2', `<${helo}>: Helo command rejected: Invalid name`),
  tooManyRecipients: () => r(452, '4.5.3', 'Error: too many recipients'),
  messageTooBig: (max: number) => r(552, '5.3.4', `Error: message exceeds fixed maximum message size ${max}`),
  bareLf: () => r(550, '5.5.2', 'Error: bare <LF> received'),
  queued: (id: string) => r(250, '2.0.0', `Ok: queued as ${id}`),
  storageFull: () => r(452, '4.3.1', 'Error: insufficient system storage'),
  storageFailed: () => r(451, '4.3.0', 'Error: queue file write error'),
  authInTransaction: () => r(503, '5.5.1', 'Error: MAIL transaction in progress'),
  authFailed: () => r(535, '5.7.8', 'Error: authentication failed'),
  authUnavailable: () => r(454, '4.7.0', 'Error: temporary authentication failure'),
  tooManyErrors: (hostname: string) => r(421, '4.7.0', `${hostname} Error: too many errors`),
  tooManyConnections: (hostname: string, client: string) =>
    r(421, '4.7.0', `${hostname} Error: too many connections from ${client}`),
  timeoutExceeded: (hostname: string) => r(421, '4.4.2', `${hostname} Error: timeout exceeded`),
  tooManyHops: () => r(554, '5.4.6', 'Error: too many hops'),
  utf8NotDeclared: () => r(553, '5.6.7', 'Must declare SMTPUTF8 to send unicode address'),
  leadingDash: (addr: string) => r(501, '5.1.3', `<${addr}>: Bad recipient address syntax`),
} as const;
