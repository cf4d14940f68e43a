/**
 * Read-side helpers shared by `queue`, `show` and the operator commands: where the spool is
 * (`<dataDir>/spool`), the message summaries from the sqlite log's `messages` projection
 * (or a fold of the message streams when a log has no such table), and one message's stored
 * facts (body ref, policy headers, state) folded from its own stream.
 */
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { allMessagesFrom, liveMessagesFrom } from '../readmodel/messagesProjection.js';
import { type MessageFold, type MessageSummary, foldMessage, isFinalState } from '../readmodel/messageSummary.js';
import { MESSAGE_STREAM_PREFIX, messageIdOf, messageStream } from '../mail/streamNames.js';
import type { Readable } from 'node:stream';
import { BODIES_DIR, idForRef } from '../spool/bodyId.js';
import { openBody, type OpenBodyOptions } from '../spool/bodyReader.js';
import { idForInlineRef, isInlineRef, openInlineBody } from '../spool/inlineBodies.js';

export const spoolRootOf = (config: Config): string => join(config.dataDir, 'spool');
export const bodyPathOf = (config: Config, bodyRef: string): string =>
  join(spoolRootOf(config), BODIES_DIR, idForRef(bodyRef));

/** An inline body (ref "inline/<id>"), read from the sqlite log's `bodies` table; undefined if absent. */
export function inlineBodyOf(log: EventLog, bodyRef: string): Buffer | undefined {
  return log instanceof SqliteEventLog ? log.readBody(idForInlineRef(bodyRef)) : undefined;
}

/**
 * A stored body as a stream, like the daemon's spool.open: a file under <dataDir>/spool, or
 * an inline body whose bytes the caller read from the log (inlineBodyOf) while it was open.
 */
export function openStoredBody(
  config: Config,
  bodyRef: string,
  inline: Buffer | undefined,
  opts: OpenBodyOptions = {},
): Readable {
  if (isInlineRef(bodyRef))
    return openInlineBody({ threshold: 0, read: () => inline, remove: () => false }, bodyRef, opts);
  return openBody(bodyPathOf(config, bodyRef), bodyRef, opts);
}

function hasMessagesTable(log: SqliteEventLog): boolean {
  return (
    log.database.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'`).get() !== undefined
  );
}

/** Live messages oldest first; with `all`, every message (final ones too) most recent first. */
export async function messageSummaries(log: EventLog, all: boolean): Promise<MessageSummary[]> {
  if (log instanceof SqliteEventLog && hasMessagesTable(log))
    return all ? allMessagesFrom(log.database, 10_000) : liveMessagesFrom(log.database);
  const byId = new Map<string, MessageFold>();
  for await (const e of log.readAll({ filter: { streamPrefixes: [MESSAGE_STREAM_PREFIX] } })) {
    const id = messageIdOf(e.stream)!;
    const next = foldMessage(byId.get(id), e);
    if (next) byId.set(id, next);
  }
  const list: MessageSummary[] = [...byId.values()].map((f) => f.summary);
  return all
    ? list.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))
    : list.filter((s) => !isFinalState(s.state)).sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
}

export interface StoredMessage {
  readonly summary: MessageSummary;
  /** The header lines the prequeue policies added (last PoliciesApplied), to prepend to the body. */
  readonly policyHeaders: readonly string[];
}

/** One message folded from its stream; undefined when the log has no such message. */
export async function readStoredMessage(log: EventLog, id: string): Promise<StoredMessage | undefined> {
  let fold: MessageFold | undefined;
  let policyHeaders: readonly string[] = [];
  for await (const e of log.readStream(messageStream(id))) {
    fold = foldMessage(fold, e);
    const headers = (e.data as { headers?: unknown }).headers;
    if (e.type === 'PoliciesApplied' && Array.isArray(headers)) policyHeaders = headers.map(String);
  }
  return fold ? { summary: fold.summary, policyHeaders } : undefined;
}

/** "3m", "2h05m", "4d3h": how long ago, roughly, as mailq users read it. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

/** A summary as JSON can carry it (the revision is a bigint). */
export const summaryJson = (s: MessageSummary, now: number): Record<string, unknown> => ({
  ...s,
  revision: String(s.revision),
  ageSeconds: Math.max(0, Math.round((now - Date.parse(s.receivedAt)) / 1000)),
});
