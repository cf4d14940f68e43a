/**
 * An SmtpEdge on 127.0.0.1:0 in front of a real queue (test/support/queueHarness.ts: sqlite
 * log, file spool, Maildir relay), with helpers to read what the edge recorded: a stream's
 * events, the probes of the day, and `until` to poll for an outcome (never a fixed sleep).
 */
import type { EventLog, RecordedEvent } from '../../src/eventlog/eventLog.js';
import { SmtpEdge, type SmtpEdgeOptions } from '../../src/edge/index.js';
import type { SmtpValidatorsClass } from '../../src/edge/smtpValidators.js';
import { type Harness, makeHarness } from '../support/queueHarness.js';
import { type Truthy, waitUntil } from '../support/waitUntil.js';
import type { Step } from './conversation.js';

export interface EdgeHarness {
  readonly h: Harness;
  readonly edge: SmtpEdge;
  readonly port: number;
  events(stream: string): Promise<RecordedEvent[]>;
  /** Every stream name with this prefix. */
  streams(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

export type EdgeOverrides = Partial<Omit<SmtpEdgeOptions, 'log'>>;

export async function startEdge(
  overrides: EdgeOverrides = {},
  validators?: SmtpValidatorsClass,
  wrapLog: (log: EventLog) => EventLog = (log) => log,
): Promise<EdgeHarness> {
  const h = await makeHarness();
  const edge = new SmtpEdge(
    {
      listen: { host: '127.0.0.1', port: 0 },
      hostname: 'mx.example.test',
      domains: ['example.test'],
      reverseLookup: false,
      closeTimeout: 500,
      ...overrides,
      log: wrapLog(h.log),
    },
    h.queue,
    validators ? { validators } : {},
  );
  const [bound] = await edge.start();
  if (!bound) throw new Error('the edge did not bind');
  const events = async (stream: string) => {
    const out: RecordedEvent[] = [];
    for await (const e of h.log.readStream(stream)) out.push(e);
    return out;
  };
  const streams = async (prefix: string) => {
    const names = new Set<string>();
    for await (const e of h.log.readAll({ filter: { streamPrefixes: [prefix] } })) names.add(e.stream);
    return [...names];
  };
  return {
    h,
    edge,
    port: bound.port,
    events,
    streams,
    async close() {
      await edge.stop();
      await h.close();
    },
  };
}

/** Poll `probe` until it returns something truthy (test/support/waitUntil.ts). */
export const until = <T>(probe: () => Promise<T> | T, what: string, timeoutMs = 5000): Promise<Truthy<T>> =>
  waitUntil(probe, { what, timeoutMs });

export const types = (events: readonly RecordedEvent[]): string[] => events.map((e) => e.type);

/** A complete message in SMTP form (CRLF, ends with the final dot line). */
export const message = (subject = 'hello'): string =>
  `From: Alice <alice@remote.test>\r\nTo: bob@example.test\r\nSubject: ${subject}\r\n\r\nHi Bob,\r\nthis is a test.\r\n.\r\n`;

/** alice@remote.test → bob@example.test: MAIL, RCPT, DATA with message(subject), queued, QUIT. */
export const mailTransaction = (subject: string): Step[] => [
  { client: 'MAIL FROM:<alice@remote.test>' },
  { server: '250 2.1.0 Accepted' },
  { client: 'RCPT TO:<bob@example.test>' },
  { server: '250 2.1.5 Accepted' },
  { client: 'DATA' },
  { server: /^354 / },
  { raw: message(subject) },
  { server: /^250 2\.0\.0 Ok: queued as / },
  { client: 'QUIT' },
  { server: '221 2.0.0 Bye' },
];

/** The queue id from the `250 … queued as <id>` among a conversation's replies. */
export function queuedId(replies: readonly string[]): string {
  for (const r of replies) {
    const m = /^250 2\.0\.0 Ok: queued as (\S+)$/.exec(r);
    if (m?.[1]) return m[1];
  }
  throw new Error(`no queued-as reply in ${JSON.stringify(replies)}`);
}
