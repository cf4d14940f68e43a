/**
 * The history of one message or SMTP session as `mailtrail history`, the diagram export and the
 * tests read it: the stored events of its stream in order, each with the state it led to (from
 * its metadata, no replay), and its links (a message's session, parent, split children and
 * DSN; a session's messages). Read-only.
 */
import type { EventLog, RecordedEvent } from '../eventlog/eventLog.js';
import { dsnIdFor } from '../mail/queueId.js';
import { historyStream, messageStream } from '../mail/streamNames.js';
import { parseHistoryName } from './historyName.js';

export interface HistoryEntry {
  readonly revision: string;
  readonly type: string;
  readonly state: string;
  readonly at: string;
  readonly data: Record<string, unknown>;
  /** The daemon (config `node`) that wrote the event, when it says. */
  readonly node?: string;
}

export interface History {
  readonly stream: string;
  readonly kind: 'message' | 'session';
  readonly entries: readonly HistoryEntry[];
  /** Ids of the linked messages and sessions. */
  readonly links: readonly string[];
  /** What each link is to this history: session, parent, child, dsn, message. */
  readonly roles: Readonly<Record<string, string>>;
}

async function readEntries(log: EventLog, stream: string): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  for await (const e of log.readStream(stream)) out.push(entryOf(e));
  return out;
}

function entryOf(e: RecordedEvent): HistoryEntry {
  const data = e.data as Record<string, unknown>;
  const node = typeof e.metadata.node === 'string' ? { node: e.metadata.node } : {};
  return {
    revision: String(e.revision),
    type: e.type,
    state: String(e.metadata.state ?? ''),
    at: typeof data.at === 'string' ? data.at : e.recordedAt,
    data,
    ...node,
  };
}

async function streamExists(log: EventLog, stream: string): Promise<boolean> {
  for await (const _ of log.readStream(stream)) return true;
  return false;
}

/** A message's links: its session, its parent, its split children and its DSN (read from the log, by the DSN's derived id). */
async function messageLinks(
  log: EventLog,
  id: string,
  entries: readonly HistoryEntry[],
): Promise<Record<string, string>> {
  const roles: Record<string, string> = {};
  const first = entries[0]?.data;
  if (typeof first?.sessionId === 'string') roles[first.sessionId] = 'session';
  if (typeof first?.parentId === 'string')
    roles[first.parentId] = first.origin === 'dsn' ? 'bounced message' : 'parent';
  for (const e of entries) {
    if (e.type !== 'MessageSplit' || !Array.isArray(e.data.children)) continue;
    for (const c of e.data.children as { messageId?: unknown }[])
      if (typeof c.messageId === 'string') roles[c.messageId] = 'split child';
  }
  const dsn = dsnIdFor(id);
  if (await streamExists(log, messageStream(dsn))) roles[dsn] = 'dsn';
  return roles;
}

export async function loadHistory(log: EventLog, name: string): Promise<History | undefined> {
  const { kinds, id } = parseHistoryName(name);
  for (const kind of kinds) {
    const stream = historyStream(kind, id);
    const entries = await readEntries(log, stream);
    if (entries.length === 0) continue;
    const roles: Record<string, string> =
      kind === 'message'
        ? await messageLinks(log, id, entries)
        : Object.fromEntries(
            entries.filter((e) => e.type === 'MessageAccepted').map((e) => [String(e.data.messageId), 'message']),
          );
    return { stream, kind, entries, links: Object.keys(roles), roles };
  }
  return undefined;
}
