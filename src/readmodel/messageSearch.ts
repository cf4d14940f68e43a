/**
 * Queries of the `message_search` index (searchProjection.ts): criteria → SQL over the index
 * tables only, newest first, paged by (received_at, id) so a caller that filters further
 * (the subject, read lazily from the spool) can ask for more without OFFSET scans.
 * Address patterns: `user@domain` (exact, case-insensitive), `@domain` or `domain` (the
 * domain part), `<>` (the null sender). Pure reads; the caller opens the log.
 */
import type Database from 'better-sqlite3';
import { FINAL_STATES } from './messageSummary.js';
import { domainOf, splitAddress } from '../mail/address.js';

export type AddressPattern =
  | { readonly kind: 'null' }
  | { readonly kind: 'address'; readonly address: string }
  | { readonly kind: 'domain'; readonly domain: string };

export function parseAddressPattern(text: string): AddressPattern {
  const t = text
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .toLowerCase();
  if (t === '') return { kind: 'null' };
  if (!t.includes('@')) return { kind: 'domain', domain: t };
  const { local, domain } = splitAddress(t);
  return local === '' ? { kind: 'domain', domain } : { kind: 'address', address: t };
}

export function matchesAddress(p: AddressPattern, address: string): boolean {
  switch (p.kind) {
    case 'null':
      return address === '';
    case 'address':
      return address.toLowerCase() === p.address;
    case 'domain':
      return address !== '' && domainOf(address) === p.domain;
  }
}

export interface SearchCriteria {
  readonly from?: AddressPattern;
  readonly to?: AddressPattern;
  /** ISO-8601: received at or after. */
  readonly since?: string;
  /** Exact states; 'live' and 'final' stand for the non-final and the final ones. */
  readonly states?: readonly string[];
  readonly sessionId?: string;
  /** This message and the ones made from it (its DSN, its split children). */
  readonly messageOrChildren?: string;
  /** Rows whose indexed subject is known and does not contain this are left out. */
  readonly subject?: string;
}

export interface SearchRow {
  readonly id: string;
  readonly sender: string;
  readonly recipients: readonly string[];
  readonly subject: string | null;
  readonly headerMessageId: string | null;
  readonly receivedAt: string;
  readonly state: string;
  readonly sessionId: string | null;
  readonly parentId: string | null;
  readonly origin: string;
}

/** A search hit as the CLI prints it. */
export interface Found extends SearchRow {
  /** From the index, else from the body's headers; null when neither has it. */
  readonly subject: string | null;
  readonly bodyInSpool: boolean;
}

interface Row {
  id: string;
  sender: string;
  recipients: string;
  subject: string | null;
  header_message_id: string | null;
  received_at: string;
  state: string;
  session_id: string | null;
  parent_id: string | null;
  origin: string;
}

const toSearchRow = (r: Row): SearchRow => ({
  id: r.id,
  sender: r.sender,
  recipients: JSON.parse(r.recipients) as string[],
  subject: r.subject,
  headerMessageId: r.header_message_id,
  receivedAt: r.received_at,
  state: r.state,
  sessionId: r.session_id,
  parentId: r.parent_id,
  origin: r.origin,
});

export function hasSearchIndex(db: Database.Database): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'message_search'`).get() !== undefined;
}

function whereOf(c: SearchCriteria): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  if (c.from?.kind === 'null') sql.push(`s.sender = ''`);
  else if (c.from?.kind === 'address') sql.push('lower(s.sender) = ?'), params.push(c.from.address);
  else if (c.from?.kind === 'domain') sql.push('s.sender_domain = ?'), params.push(c.from.domain);
  if (c.to?.kind === 'address')
    sql.push('s.id IN (SELECT id FROM message_search_rcpt WHERE address = ?)'), params.push(c.to.address);
  else if (c.to?.kind === 'domain')
    sql.push('s.id IN (SELECT id FROM message_search_rcpt WHERE domain = ?)'), params.push(c.to.domain);
  else if (c.to?.kind === 'null') sql.push('0');
  if (c.since) sql.push('s.received_at >= ?'), params.push(c.since);
  if (c.states && c.states.length > 0) {
    const exact = c.states.filter((s) => s !== 'live' && s !== 'final');
    const any: string[] = [];
    if (exact.length > 0) any.push(`s.state IN (${exact.map(() => '?').join(', ')})`), params.push(...exact);
    const finals = FINAL_STATES.map((s) => `'${s}'`).join(', ');
    if (c.states.includes('live')) any.push(`s.state NOT IN (${finals})`);
    if (c.states.includes('final')) any.push(`s.state IN (${finals})`);
    sql.push(`(${any.join(' OR ')})`);
  }
  if (c.sessionId) sql.push('s.session_id = ?'), params.push(c.sessionId);
  if (c.messageOrChildren)
    sql.push('(s.id = ? OR s.parent_id = ?)'), params.push(c.messageOrChildren, c.messageOrChildren);
  // SQLite's LIKE folds case for ASCII only: a non-ASCII needle is matched by the caller alone.
  if (c.subject && /^[\x00-\x7f]*$/.test(c.subject))
    sql.push(`(s.subject IS NULL OR s.subject LIKE ? ESCAPE '\\')`),
      params.push(`%${c.subject.replace(/[\\%_]/g, (x) => `\\${x}`)}%`);
  return { sql, params };
}

/** Where the previous page ended (its last row). */
export interface SearchCursor {
  readonly receivedAt: string;
  readonly id: string;
}

/** One page of matching rows, newest first, after `cursor` when given. */
export function searchPage(
  db: Database.Database,
  c: SearchCriteria,
  limit: number,
  cursor?: SearchCursor,
): SearchRow[] {
  const { sql, params } = whereOf(c);
  if (cursor)
    sql.push('(s.received_at < ? OR (s.received_at = ? AND s.id < ?))'),
      params.push(cursor.receivedAt, cursor.receivedAt, cursor.id);
  const where = sql.length > 0 ? `WHERE ${sql.join(' AND ')}` : '';
  const rows = db
    .prepare(`SELECT s.* FROM message_search s ${where} ORDER BY s.received_at DESC, s.id DESC LIMIT ?`)
    .all(...params, limit) as Row[];
  return rows.map(toSearchRow);
}

/** Every matching id (for `tail`'s filters), in no particular order. */
export function searchIds(db: Database.Database, c: SearchCriteria): string[] {
  const { sql, params } = whereOf(c);
  const where = sql.length > 0 ? `WHERE ${sql.join(' AND ')}` : '';
  return db
    .prepare(`SELECT s.id FROM message_search s ${where}`)
    .pluck()
    .all(...params) as string[];
}
