/**
 * EventReader: the paged queries of the SQLite event log.
 * Each call returns one page (an array), so no statement stays open across an await and a
 * million-row read never sits in memory. Stream-prefix filters become GLOB patterns (which
 * can use the (stream, revision) index); type filters become IN lists. Statements are cached
 * per filter shape. Rows come back with bigint integers (the connection uses safe integers).
 */
import type Database from 'better-sqlite3';
import type { EventFilter, RecordedEvent } from '../eventLog.js';

interface EventRow {
  position: bigint;
  stream: string;
  revision: bigint;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

const COLUMNS = 'position, stream, revision, type, data, metadata, recorded_at';

function toRecorded(row: EventRow): RecordedEvent {
  return {
    position: row.position,
    stream: row.stream,
    revision: row.revision,
    type: row.type,
    data: JSON.parse(row.data) as RecordedEvent['data'],
    metadata: JSON.parse(row.metadata) as RecordedEvent['metadata'],
    recordedAt: row.recorded_at,
  };
}

/** GLOB pattern matching names that start with `prefix` (metacharacters bracketed). */
export function globPrefix(prefix: string): string {
  return `${prefix.replace(/[*?[]/g, (c) => `[${c}]`)}*`;
}

export class EventReader {
  private readonly byStream: Database.Statement;
  private readonly maxPositionStmt: Database.Statement;
  private readonly filtered = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.byStream = db.prepare(
      `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    );
    this.maxPositionStmt = db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck();
  }

  /** Up to `limit` events of `stream` from revision `from` (inclusive). */
  streamPage(stream: string, from: bigint, limit: number): RecordedEvent[] {
    return (this.byStream.all(stream, from, limit) as EventRow[]).map(toRecorded);
  }

  /** The highest position written so far (0n when empty). */
  maxPosition(): bigint {
    return this.maxPositionStmt.get() as bigint;
  }

  /** Up to `limit` matching events with from <= position <= upTo, in position order. */
  allPage(from: bigint, filter: EventFilter | undefined, limit: number, upTo?: bigint): RecordedEvent[] {
    const prefixes = filter?.streamPrefixes ?? [];
    const types = filter?.types ?? [];
    if (filter?.streamPrefixes?.length === 0 || filter?.types?.length === 0) return [];
    const stmt = this.statement(prefixes.length, types.length, upTo !== undefined);
    const params: unknown[] = [from];
    if (upTo !== undefined) params.push(upTo);
    params.push(...prefixes.map(globPrefix), ...types, limit);
    return (stmt.all(...params) as EventRow[]).map(toRecorded);
  }

  private statement(prefixes: number, types: number, bounded: boolean): Database.Statement {
    const key = `${prefixes}/${types}/${bounded}`;
    let stmt = this.filtered.get(key);
    if (!stmt) {
      const where = ['position >= ?'];
      if (bounded) where.push('position <= ?');
      if (prefixes > 0) where.push(`(${Array(prefixes).fill('stream GLOB ?').join(' OR ')})`);
      if (types > 0) where.push(`type IN (${Array(types).fill('?').join(', ')})`);
      stmt = this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY position LIMIT ?`);
      this.filtered.set(key, stmt);
    }
    return stmt;
  }
}
