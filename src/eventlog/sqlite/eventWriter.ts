/**
 * EventWriter: one append, applied inside the caller's transaction and savepoint.
 * Checks the expected revision against the `streams` table (under the write lock, so the
 * check and the insert cannot interleave with another writer), inserts the events with
 * consecutive revisions, and runs the inline projections on each recorded event.
 * Throws ExpectedRevisionConflictError; the caller rolls the savepoint back.
 */
import type Database from 'better-sqlite3';
import {
  ExpectedRevisionConflictError,
  type AppendResult,
  type AppenderFold,
  type ExpectedRevision,
  type InlineBody,
  type JsonObject,
  type RecordedEvent,
} from '../eventLog.js';
import type { SqliteProjection } from './sqliteProjection.js';

/**
 * An append as queued: payloads already serialised, so bad JSON fails before the batch.
 * `data`/`metadata` are the JSON written to the table; `parsed`, when the writer runs in the
 * appender's thread, is what that JSON was built from, handed to the projections as is
 * (serialised once, never parsed back). In the writer thread it is absent and each event is
 * parsed once for all projections.
 */
export interface AppendRequest {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly events: ReadonlyArray<SerialisedEvent>;
  /** Inline bodies, inserted in the same savepoint as the events. */
  readonly bodies?: readonly InlineBody[];
}

export interface SerialisedEvent {
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly parsed?: { readonly data: JsonObject; readonly metadata: JsonObject };
  /** The appender's fold (eventLog.ts AppenderFold), for the projections; never stored. */
  readonly fold?: AppenderFold;
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export class EventWriter {
  private readonly currentRevision: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly upsertStream: Database.Statement;
  private readonly insertBody: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly projections: readonly SqliteProjection[],
  ) {
    this.currentRevision = db.prepare('SELECT revision FROM streams WHERE stream = ?').pluck();
    this.insertEvent = db.prepare(
      'INSERT INTO events (stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.insertBody = db.prepare('INSERT INTO bodies (id, data) VALUES (?, ?)');
    this.upsertStream = db.prepare(
      `INSERT INTO streams (stream, revision, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, updated_at = excluded.updated_at`,
    );
  }

  append(request: AppendRequest, recordedAt: string): AppendResult {
    const { stream, expected } = request;
    const current = this.currentRevision.get(stream) as bigint | undefined;
    const mismatch =
      (expected === 'no_stream' && current !== undefined) || (typeof expected === 'bigint' && current !== expected);
    if (mismatch) throw new ExpectedRevisionConflictError(stream, expected, current ?? 'no_stream');

    for (const body of request.bodies ?? []) {
      // Across the thread boundary a Buffer arrives as a plain Uint8Array: SQLite binds Buffers.
      const bytes = Buffer.isBuffer(body.bytes)
        ? body.bytes
        : Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength);
      this.insertBody.run(body.id, bytes);
    }
    let revision = current ?? -1n;
    let position = 0n;
    for (const event of request.events) {
      revision += 1n;
      try {
        const info = this.insertEvent.run(stream, revision, event.type, event.data, event.metadata, recordedAt);
        position = BigInt(info.lastInsertRowid);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ExpectedRevisionConflictError(stream, expected, current ?? 'no_stream');
        throw error;
      }
      if (this.projections.length === 0) continue;
      // Parsed at most once (never on the loop), and the same event handed to every projection.
      const recorded: RecordedEvent = {
        stream,
        revision,
        position,
        type: event.type,
        data: event.parsed?.data ?? (JSON.parse(event.data) as JsonObject),
        metadata: event.parsed?.metadata ?? (JSON.parse(event.metadata) as JsonObject),
        recordedAt,
        ...(event.fold ? { fold: event.fold } : {}),
      };
      for (const projection of this.projections) projection.apply(this.db, recorded);
    }
    this.upsertStream.run(stream, revision, recordedAt);
    return { nextExpectedRevision: revision, position };
  }
}
