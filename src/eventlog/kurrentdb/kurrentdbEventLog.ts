/**
 * The `kurrentdb` adapter of the event-log port, over @kurrent/kurrentdb-client 1.x.
 * Streams keep the caller's names (message-<id>, session-<id>). append → appendToStream
 * with `streamState`; readStream → readStream (a missing stream reads empty); readAll →
 * readAll from an inclusive position with a server filter refined in process; subscribe →
 * KurrentdbSubscription. close() disposes the client; later calls fail with
 * EventLogClosedError. Not yet verified against a live cluster: see docs/eventlog-kurrentdb.md.
 */
import { FORWARDS, KurrentDBClient, START } from '@kurrent/kurrentdb-client';
import { ConfigError, InvariantError } from '../../errors/index.js';
import {
  EventLogClosedError,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventLog,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../eventLog.js';
import { conflictFromFailedAppend, isStreamNotFound, translateAppendError } from './errorMapping.js';
import { toEventData, toRecordedEvent } from './eventMapping.js';
import { passesClientFilter, toServerFilter } from './filterMapping.js';
import { fromClientPosition, toReadPosition } from './positionMapping.js';
import { toStreamState } from './revisionMapping.js';
import { KurrentdbSubscription } from './kurrentdbSubscription.js';

/** Parses a connection string (kurrentdb://…, esdb://…) into a client; a bad one is a ConfigError. */
function connect(connectionString: string): KurrentDBClient {
  try {
    return KurrentDBClient.connectionString(connectionString);
  } catch (error) {
    throw new ConfigError('eventLog.connectionString', error instanceof Error ? error.message : String(error));
  }
}

export class KurrentdbEventLog implements EventLog {
  readonly #client: KurrentDBClient;
  readonly #subscriptions = new Set<KurrentdbSubscription>();
  #closed = false;

  /** From a connection string, or from an existing client (which close() then disposes). */
  constructor(connection: string | KurrentDBClient) {
    this.#client = typeof connection === 'string' ? connect(connection) : connection;
  }

  static fromConnectionString(connectionString: string): KurrentdbEventLog {
    return new KurrentdbEventLog(connectionString);
  }

  async append(stream: string, events: readonly EventData[], options: AppendOptions = {}): Promise<AppendResult> {
    this.#assertOpen();
    if (events.length === 0) throw new InvariantError(`append to ${stream}: no events`);
    if (options.bodies?.length)
      throw new InvariantError(`append to ${stream}: this log keeps no bodies (the spool must write files)`);
    const expected = options.expectedRevision ?? 'any';
    const streamState = toStreamState(expected);
    let result;
    try {
      result = await this.#client.appendToStream(stream, events.map(toEventData), { streamState });
    } catch (error) {
      throw this.#closed ? new EventLogClosedError() : translateAppendError(error, stream, expected);
    }
    if (!result.success) throw conflictFromFailedAppend(stream, expected, result.nextExpectedRevision);
    if (!result.position) throw new InvariantError(`append to ${stream}: KurrentDB returned no position`);
    return { nextExpectedRevision: result.nextExpectedRevision, position: fromClientPosition(result.position) };
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    this.#assertOpen();
    const { fromRevision = 0n, maxCount } = options;
    if (maxCount !== undefined && maxCount <= 0) return;
    const reading = this.#client.readStream(stream, {
      fromRevision,
      direction: FORWARDS,
      ...(maxCount === undefined ? {} : { maxCount }),
    });
    try {
      for await (const resolved of reading) {
        const event = toRecordedEvent(resolved);
        if (event) yield event;
      }
    } catch (error) {
      if (isStreamNotFound(error)) return;
      throw this.#closed ? new EventLogClosedError() : error;
    }
  }

  /**
   * Server semantics: readAll forwards from a position includes the event at that position
   * (subscribeToAll's does not). The `position >= from` check in process is a safety net
   * only. maxCount is counted in process because the server counts before our filtering.
   */
  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    this.#assertOpen();
    const { fromPosition = 0n, filter, maxCount } = options;
    if (maxCount !== undefined && maxCount <= 0) return;
    const reading = this.#client.readAll({
      fromPosition: fromPosition > 0n ? toReadPosition(fromPosition) : START,
      direction: FORWARDS,
      filter: toServerFilter(filter),
    });
    let count = 0;
    try {
      for await (const resolved of reading) {
        if (!resolved.event || !passesClientFilter(resolved.event, filter)) continue;
        const event = toRecordedEvent(resolved);
        if (!event || event.position < fromPosition) continue;
        yield event;
        if (maxCount !== undefined && ++count >= maxCount) return;
      }
    } catch (error) {
      throw this.#closed ? new EventLogClosedError() : error;
    }
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    this.#assertOpen();
    const subscription = new KurrentdbSubscription(this.#client, options, (s) => this.#subscriptions.delete(s));
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await this.#client.dispose();
  }

  #assertOpen(): void {
    if (this.#closed) throw new EventLogClosedError();
  }
}
