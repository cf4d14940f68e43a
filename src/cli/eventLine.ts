/**
 * One event as `mailtrail tail` prints it: a text line (time, stream, type, state after it,
 * a short summary of its payload, Postfix style `to=<…>, dsn=…`) or a JSON object (bigints as
 * strings). The time is the event's own `at` (when it happened), else when it was recorded.
 * Payloads hold no bodies or secrets (AUTH events carry the user name only).
 */
import type { RecordedEvent } from '../eventlog/eventLog.js';

type Data = Record<string, unknown>;

const s = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const addr = (v: unknown): string => `<${s(v)}>`;
const list = (v: unknown): string => (Array.isArray(v) ? v.map(addr).join(',') : '');
const short = (text: string, max = 100): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export const eventTime = (e: RecordedEvent): string => s((e.data as Data).at) || e.recordedAt;

function outcome(d: Data, status: string): string {
  const parts = [
    `to=${addr(d.recipient)}`,
    `relay=${s(d.relay)}`,
    `dsn=${s(d.status)}`,
    `status=${status} (${short(s(d.reply))})`,
  ];
  if (d.nextAttemptAt) parts.push(`next=${s(d.nextAttemptAt)}`);
  return parts.join(', ');
}

const SUMMARIES: Record<string, (d: Data) => string> = {
  MessageReceived: (d) =>
    [
      `from=${addr(d.sender)}`,
      `to=${list(d.recipients)}`,
      `size=${s(d.size)}`,
      d.origin && d.origin !== 'smtp' ? `origin=${s(d.origin)}${d.parentId ? ` of ${s(d.parentId)}` : ''}` : '',
      d.sessionId ? `session=${s(d.sessionId)}` : '',
      d.recovered ? `recovered=${s(d.recovered)}` : '',
    ]
      .filter(Boolean)
      .join(' '),
  PoliciesApplied: (d) =>
    `headers=${Array.isArray(d.headers) ? d.headers.length : 0}${Array.isArray(d.recipients) ? ` to=${list(d.recipients)}` : ''}`,
  PoliciesDeferred: (d) => `reason=${short(s(d.reason))} next=${s(d.nextAttemptAt)}`,
  MessageSplit: (d) =>
    `children=${Array.isArray(d.children) ? d.children.map((c) => s((c as Data).messageId)).join(',') : ''}`,
  RelayAttempted: (d) => `attempt=${s(d.attempt)} relay=${s(d.relay)} to=${list(d.recipients)}`,
  DeliverySucceeded: (d) => outcome(d, 'delivered'),
  DeliveryDeferred: (d) => outcome(d, 'deferred'),
  DeliveryFailed: (d) => outcome(d, 'bounced'),
  SessionConnected: (d) => `client=${s(d.rdns) || 'unknown'}[${s(d.remoteAddress)}]:${s(d.remotePort)}`,
  ClientGreeted: (d) => `${d.esmtp ? 'ehlo' : 'helo'}=${s(d.helo)}`,
  TlsStarted: (d) => `${s(d.version)} ${s(d.cipher)}`.trim(),
  AuthSucceeded: (d) => `user=${s(d.user)} method=${s(d.method)}`,
  AuthFailed: (d) => `user=${s(d.user)} method=${s(d.method)} reply=${short(s(d.reply))}`,
  MailFromAccepted: (d) => `from=${addr(d.sender)}`,
  MailFromRefused: (d) => `from=${addr(d.sender)} reply=${short(s(d.reply))}`,
  RecipientAccepted: (d) => `to=${addr(d.recipient)}`,
  RecipientRefused: (d) => `to=${addr(d.recipient)} reply=${short(s(d.reply))}`,
  MessageAccepted: (d) => `message=${s(d.messageId)} size=${s(d.size)}`,
  MessageRefused: (d) => `reply=${short(s(d.reply))}`,
  SessionClosed: (d) => `reason=${s(d.reason)}`,
  SessionProbed: (d) => `client=[${s(d.remoteAddress)}] reason=${s(d.reason)}${d.helo ? ` helo=${s(d.helo)}` : ''}`,
};

/** `reason=…`, `by=…` and the like for the events without a summary of their own. */
function generic(d: Data): string {
  return ['reason', 'by']
    .filter((k) => d[k] !== undefined && d[k] !== '')
    .map((k) => `${k}=${short(s(d[k]))}`)
    .join(' ');
}

export function summarizeEvent(e: RecordedEvent): string {
  const d = e.data as Data;
  return (SUMMARIES[e.type] ?? generic)(d);
}

export function eventLine(e: RecordedEvent): string {
  const state = s(e.metadata.state) || '-';
  return `${eventTime(e)}  ${e.stream}  ${e.type.padEnd(17)}  ${state.padEnd(16)}  ${summarizeEvent(e)}`.trimEnd();
}

export function eventJson(e: RecordedEvent): string {
  return JSON.stringify({
    position: String(e.position),
    stream: e.stream,
    revision: String(e.revision),
    type: e.type,
    state: s(e.metadata.state) || null,
    at: eventTime(e),
    recordedAt: e.recordedAt,
    data: e.data,
  });
}
