/**
 * The event-log port: the one interface every storage adapter (sqlite, kurrentdb, memory)
 * implements and the contract suite (test/eventlog/eventLog.contract.ts) checks.
 * Revisions are per stream and start at 0n; positions are global, increasing, not
 * necessarily consecutive. `append` resolves only once the events are durable.
 * Adapters translate their vendor's concurrency error into ExpectedRevisionConflictError.
 */
import { MailtrailError } from '../errors/mailtrailError.js';

/** 'no_stream': the stream must not exist; 'any': no check; bigint: the stream's last revision. */
export type ExpectedRevision = 'no_stream' | 'any' | bigint;

export type JsonObject = { [key: string]: unknown };

/** An event as written: past-tense type, its payload, and metadata (schema version, time, state). */
export interface EventData<Type extends string = string, Data extends JsonObject = JsonObject> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata?: JsonObject;
  /** Not stored: what the appender already folded (AppenderFold). Readers never set it. */
  readonly fold?: AppenderFold;
}

/**
 * What an appending actor already computed for one of its events: the machine's state and
 * context after it, and the state before it (null: the event starts the stream). It is never
 * stored: an inline projection may take it instead of folding the stream again, and must write
 * the same rows without it (a rebuild, a CLI append, another log have none).
 */
export interface AppenderFold {
  readonly state: string;
  readonly context: JsonObject;
  readonly stateBefore: string | null;
}

/** An event as stored. */
export interface RecordedEvent<Type extends string = string, Data extends JsonObject = JsonObject>
  extends EventData<Type, Data> {
  readonly stream: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly metadata: JsonObject;
  /** ISO-8601 time the store recorded the event. */
  readonly recordedAt: string;
}

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
  /**
   * Message bodies committed in the same transaction as the events (the spool's inline
   * bodies: one fsync for both). Only a log that can keep them accepts them (the sqlite log,
   * `readBody`); the others reject the append with InvariantError rather than drop them.
   */
  bodies?: readonly InlineBody[];
}

/** A body stored with an append, read back by its id. */
export interface InlineBody {
  readonly id: string;
  readonly bytes: Uint8Array;
}

export interface AppendResult {
  /** Revision of the last event written: pass it as expectedRevision next time. */
  readonly nextExpectedRevision: bigint;
  /** Global position of the last event written. */
  readonly position: bigint;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive). Default 0n. */
  fromRevision?: bigint;
  maxCount?: number;
}

export interface EventFilter {
  /** Only streams whose name starts with one of these prefixes. */
  streamPrefixes?: readonly string[];
  /** Only these event types. */
  types?: readonly string[];
}

export interface ReadAllOptions {
  /** First global position to return (inclusive). Default: the beginning. */
  fromPosition?: bigint;
  filter?: EventFilter;
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Catch up from this position (inclusive), then go live. Default: the beginning. */
  fromPosition?: bigint | 'end';
  filter?: EventFilter;
}

/** Catch-up then live: iterate it; `close()` ends the iteration. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventLog {
  append(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult>;
  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  subscribe(options?: SubscribeOptions): Subscription;
  close(): Promise<void>;
}

/** The stream's current revision did not match the expected one. */
export class ExpectedRevisionConflictError extends MailtrailError {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly actual: bigint | 'no_stream';
  constructor(stream: string, expected: ExpectedRevision, actual: bigint | 'no_stream') {
    super('ERR_EXPECTED_REVISION', `stream ${stream}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.stream = stream;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The log was used after close(). */
export class EventLogClosedError extends MailtrailError {
  constructor() {
    super('ERR_EVENTLOG_CLOSED', 'the event log is closed');
  }
}

/** Does this event pass the filter? Shared by adapters that filter in process. */
export function matchesFilter(event: { stream: string; type: string }, filter?: EventFilter): boolean {
  if (!filter) return true;
  if (filter.types && !filter.types.includes(event.type)) return false;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((p) => event.stream.startsWith(p))) return false;
  return true;
}
