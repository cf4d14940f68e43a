/**
 * Which events `mailtrail tail` shows. --message, --session, --from and --to select messages
 * by envelope: the messages already in the log come from the `message_search` index (or,
 * for a log without it, the `messages` table), new ones are learned from their
 * MessageReceived (and a Forward rewrite in PoliciesApplied) as they stream past, in a small
 * map that forgets a message once it is final. --session also shows that session's own
 * stream; --type keeps only those event types. All filters must hold (AND).
 */
import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../eventlog/eventLog.js';
import {
  hasSearchIndex,
  matchesAddress,
  searchIds,
  type AddressPattern,
  type SearchCriteria,
} from '../readmodel/messageSearch.js';
import { isFinalState } from '../readmodel/messageSummary.js';
import { messageIdOf, messageStream, sessionStream } from '../mail/streamNames.js';

export interface TailCriteria {
  readonly message?: string;
  readonly session?: string;
  readonly from?: AddressPattern;
  readonly to?: AddressPattern;
  readonly types?: readonly string[];
}

interface Envelope {
  readonly id: string;
  readonly sender: string;
  recipients: string[];
  readonly sessionId: string | null;
  readonly parentId: string | null;
}

/** Event types the filter must see to learn new messages, whatever --type says. */
export const LEARNING_TYPES: readonly string[] = ['MessageReceived', 'PoliciesApplied'];

export class TailFilter {
  private readonly ids = new Set<string>();
  private readonly pending = new Map<string, Envelope>();

  constructor(
    private readonly c: TailCriteria,
    known: Iterable<string> = [],
  ) {
    for (const id of known) this.ids.add(id);
  }

  /** The filter with the messages already in the log that match (none looked up without envelope filters). */
  static load(db: Database.Database, c: TailCriteria): TailFilter {
    return new TailFilter(c, selectsMessages(c) ? knownIds(db, c) : []);
  }

  /** Does any of --message/--session/--from/--to apply? */
  get selective(): boolean {
    return selectsMessages(this.c);
  }

  /** The streams that can match when they are few enough to name in SQL, else undefined. */
  streams(max = 500): string[] | undefined {
    if (!this.selective || this.ids.size + 1 > max) return undefined;
    const streams = [...this.ids].map(messageStream);
    if (this.showsSession()) streams.push(sessionStream(this.c.session!));
    return streams;
  }

  /** The SQL-side type filter for reading: --type plus what learning needs. */
  readTypes(): string[] | undefined {
    if (!this.c.types) return undefined;
    return this.selective ? [...new Set([...this.c.types, ...LEARNING_TYPES])] : [...this.c.types];
  }

  /** The test on stream and type alone, with what is known now (for scanning back). */
  passes(stream: string, type: string): boolean {
    if (this.c.types && !this.c.types.includes(type)) return false;
    if (!this.selective) return true;
    const id = messageIdOf(stream);
    if (id !== undefined) return this.ids.has(id);
    return this.showsSession() && stream === sessionStream(this.c.session!);
  }

  /** Learns from the event (a new or rewritten message), then says whether to show it. */
  accept(e: RecordedEvent): boolean {
    const id = messageIdOf(e.stream);
    if (this.selective && id !== undefined) this.learn(e, id);
    return this.passes(e.stream, e.type);
  }

  private showsSession(): boolean {
    return this.c.session !== undefined && !this.c.message && !this.c.from && !this.c.to;
  }

  private learn(e: RecordedEvent, id: string): void {
    const d = e.data as Record<string, unknown>;
    if (e.type === 'MessageReceived') {
      const envelope: Envelope = {
        id,
        sender: typeof d.sender === 'string' ? d.sender : '',
        recipients: Array.isArray(d.recipients) ? d.recipients.map(String) : [],
        sessionId: typeof d.sessionId === 'string' ? d.sessionId : null,
        parentId: typeof d.parentId === 'string' ? d.parentId : null,
      };
      this.pending.set(id, envelope);
      if (matchesEnvelope(this.c, envelope)) this.ids.add(id);
    } else if (e.type === 'PoliciesApplied' && Array.isArray(d.recipients)) {
      const envelope = this.pending.get(id);
      if (envelope) envelope.recipients = [...new Set([...envelope.recipients, ...d.recipients.map(String)])];
      if (envelope && matchesEnvelope(this.c, envelope)) this.ids.add(id);
    }
    if (isFinalState(String(e.metadata.state ?? ''))) this.pending.delete(id);
  }
}

function matchesEnvelope(c: TailCriteria, m: Envelope): boolean {
  if (c.message && m.id !== c.message && m.parentId !== c.message) return false;
  if (c.session && m.sessionId !== c.session) return false;
  if (c.from && !matchesAddress(c.from, m.sender)) return false;
  if (c.to && !m.recipients.some((r) => matchesAddress(c.to!, r))) return false;
  return true;
}

function selectsMessages(c: TailCriteria): boolean {
  return Boolean(c.message || c.session || c.from || c.to);
}

function knownIds(db: Database.Database, c: TailCriteria): string[] {
  const criteria: SearchCriteria = {
    ...(c.from ? { from: c.from } : {}),
    ...(c.to ? { to: c.to } : {}),
    ...(c.session ? { sessionId: c.session } : {}),
    ...(c.message ? { messageOrChildren: c.message } : {}),
  };
  if (hasSearchIndex(db)) return searchIds(db, criteria);
  const out: string[] = [];
  if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'`).get()) return out;
  const rows = db
    .prepare('SELECT id, sender, recipients, session_id, parent_id FROM messages')
    .iterate() as IterableIterator<{
    id: string;
    sender: string;
    recipients: string;
    session_id: string | null;
    parent_id: string | null;
  }>;
  for (const r of rows) {
    const recipients = (JSON.parse(r.recipients) as { address: string }[]).map((x) => x.address);
    if (matchesEnvelope(c, { id: r.id, sender: r.sender, recipients, sessionId: r.session_id, parentId: r.parent_id }))
      out.push(r.id);
  }
  return out;
}
