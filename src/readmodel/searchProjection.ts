/**
 * The `message_search` index: the sqlite log's second inline projection (beside `messages`),
 * updated in the same savepoint as each message event, so `mailtrail search` and `tail --from`
 * find messages with indexed queries instead of replaying history. One row per message
 * (sender, recipients, state, time, session, Message-Id when a policy added it, subject when an
 * event carries one) and one `message_search_rcpt` row per envelope recipient ever seen (as
 * received and after a Forward rewrite). On a log that predates it, setup() fills it once.
 */
import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../eventlog/eventLog.js';
import type { SqliteProjection } from '../eventlog/sqlite/sqliteProjection.js';
import { replayInto } from './projectionRebuild.js';
import { domainOf } from '../mail/address.js';
import { MESSAGE_STREAM_PREFIX, messageIdOf } from '../mail/streamNames.js';

export const SEARCH_TABLES: readonly string[] = ['message_search', 'message_search_rcpt'];

const DDL = `
CREATE TABLE IF NOT EXISTS message_search (
  id TEXT PRIMARY KEY, sender TEXT NOT NULL, sender_domain TEXT NOT NULL, recipients TEXT NOT NULL,
  subject TEXT, header_message_id TEXT, received_at TEXT NOT NULL, state TEXT NOT NULL,
  session_id TEXT, parent_id TEXT, origin TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS message_search_sender ON message_search(lower(sender));
CREATE INDEX IF NOT EXISTS message_search_sender_domain ON message_search(sender_domain);
CREATE INDEX IF NOT EXISTS message_search_received ON message_search(received_at);
CREATE INDEX IF NOT EXISTS message_search_state ON message_search(state);
CREATE INDEX IF NOT EXISTS message_search_session ON message_search(session_id);
CREATE INDEX IF NOT EXISTS message_search_parent ON message_search(parent_id);
CREATE TABLE IF NOT EXISTS message_search_rcpt (
  address TEXT NOT NULL, domain TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (address, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS message_search_rcpt_domain ON message_search_rcpt(domain, id);
`;

type Data = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const optional = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The value of a `Message-Id:` line among header lines (folded lines allowed), or null. */
export function messageIdHeaderOf(headers: unknown): string | null {
  if (!Array.isArray(headers)) return null;
  for (const h of headers) {
    const m = /^message-id:\s*([\s\S]*)$/i.exec(String(h));
    if (m) return m[1]!.replace(/\r?\n[ \t]+/g, ' ').trim() || null;
  }
  return null;
}

interface Statements {
  readonly insert: Database.Statement;
  readonly exists: Database.Statement;
  readonly addRcpt: Database.Statement;
  readonly setState: Database.Statement;
  readonly setPolicies: Database.Statement;
}

const cache = new WeakMap<Database.Database, Statements>();

function statements(db: Database.Database): Statements {
  let s = cache.get(db);
  if (!s) {
    s = {
      insert: db.prepare(`INSERT OR REPLACE INTO message_search
        (id, sender, sender_domain, recipients, subject, header_message_id, received_at, state, session_id, parent_id, origin)
        VALUES (@id, @sender, @senderDomain, @recipients, @subject, @headerMessageId, @receivedAt, @state, @sessionId, @parentId, @origin)`),
      exists: db.prepare('SELECT 1 FROM message_search WHERE id = ?').pluck(),
      addRcpt: db.prepare('INSERT OR IGNORE INTO message_search_rcpt (address, domain, id) VALUES (?, ?, ?)'),
      setState: db.prepare('UPDATE message_search SET state = ? WHERE id = ?'),
      setPolicies: db.prepare(`UPDATE message_search SET state = coalesce(@state, state),
        recipients = coalesce(@recipients, recipients), header_message_id = coalesce(@headerMessageId, header_message_id) WHERE id = @id`),
    };
    cache.set(db, s);
  }
  return s;
}

function addRecipients(s: Statements, id: string, recipients: readonly string[]): void {
  for (const r of recipients) s.addRcpt.run(r.toLowerCase(), domainOf(r), id);
}

export const searchProjection: SqliteProjection = {
  name: 'message_search',
  module: import.meta.url,
  setup(db: Database.Database): void {
    const fresh =
      db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'message_search'`).get() === undefined;
    db.exec(DDL);
    cache.delete(db);
    // A log written before this index existed: fill it once from the message streams. (During
    // rebuild-projections `messages` is empty here too, and the rebuild replays everything.)
    const older =
      fresh &&
      db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'`).get() !== undefined &&
      db.prepare('SELECT 1 FROM messages LIMIT 1').get() !== undefined;
    if (older) replayInto(db, [searchProjection], { streamPrefixes: [MESSAGE_STREAM_PREFIX] });
  },
  apply(db: Database.Database, event: RecordedEvent): void {
    const id = messageIdOf(event.stream);
    if (id === undefined) return;
    const d = event.data as Data;
    const s = statements(db);
    if (event.type === 'MessageReceived') {
      const recipients = Array.isArray(d.recipients) ? d.recipients.map(String) : [];
      const sender = str(d.sender);
      s.insert.run({
        id,
        sender,
        senderDomain: domainOf(sender),
        recipients: JSON.stringify(recipients),
        subject: optional(d.subject),
        headerMessageId: optional(d.headerMessageId),
        receivedAt: str(d.at) || event.recordedAt,
        state: str(event.metadata.state) || 'received',
        sessionId: optional(d.sessionId),
        parentId: optional(d.parentId),
        origin: str(d.origin) || 'smtp',
      });
      addRecipients(s, id, recipients);
      return;
    }
    const state = str(event.metadata.state);
    if (event.type === 'PoliciesApplied') {
      // Only for a message the index has (a log older than it has rows it never saw).
      if (s.exists.get(id) === undefined) return;
      const rewritten = Array.isArray(d.recipients) ? d.recipients.map(String) : null;
      if (rewritten) addRecipients(s, id, rewritten);
      s.setPolicies.run({
        id,
        state: state || null,
        recipients: rewritten ? JSON.stringify(rewritten) : null,
        headerMessageId: messageIdHeaderOf(d.headers),
      });
      return;
    }
    // An UPDATE of a message the index lacks changes nothing: no lookup first.
    if (state) s.setState.run(state, id);
  },
};
