/**
 * Event shapes between the port and KurrentDB. Writing: EventData → jsonEvent (a fresh
 * UUID, content type application/json, metadata only when given). Reading: a client
 * ResolvedEvent → the port's RecordedEvent (stream, revision, commit position, metadata
 * or {}, recordedAt from `created`). A record whose data or metadata is not a JSON object,
 * or that carries no position (servers before 22.6), fails with InvariantError.
 */
import { jsonEvent, type EventData as ClientEventData, type Position } from '@kurrent/kurrentdb-client';
import { InvariantError } from '../../errors/index.js';
import type { EventData, JsonObject, RecordedEvent } from '../eventLog.js';
import { fromClientPosition, positionOf } from './positionMapping.js';

/** The fields this adapter reads from a client record (ResolvedEvent and AllStreamResolvedEvent both fit). */
export interface ClientRecord {
  readonly id: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly created: Date;
  readonly position?: Position | undefined;
}

export interface ClientResolvedEvent {
  readonly event?: ClientRecord | undefined;
  readonly commitPosition?: bigint | undefined;
}

/** The port's event → the client's JSON event. */
export function toEventData(event: EventData): ClientEventData {
  return jsonEvent({
    type: event.type,
    data: event.data,
    ...(event.metadata === undefined ? {} : { metadata: event.metadata }),
  });
}

/** KurrentDB's own streams and events ($streams, $stats-…, $>, $metadata…) start with '$'. */
export function isSystemEvent(stream: string, type: string): boolean {
  return stream.startsWith('$') || type.startsWith('$');
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** A client resolved event → the port's RecordedEvent; undefined when it carries no event (a dangling link). */
export function toRecordedEvent(resolved: ClientResolvedEvent): RecordedEvent | undefined {
  const record = resolved.event;
  if (!record) return undefined;
  const where = `event ${record.id} (${record.streamId}@${record.revision})`;
  const position = positionOf(resolved);
  if (!position) throw new InvariantError(`${where} has no position: KurrentDB 22.6 or later is required`);
  if (!isJsonObject(record.data)) throw new InvariantError(`${where}: data is not a JSON object`);
  const metadata = record.metadata ?? {};
  if (!isJsonObject(metadata)) throw new InvariantError(`${where}: metadata is not a JSON object`);
  if (Number.isNaN(record.created.getTime())) throw new InvariantError(`${where}: invalid created time`);
  return {
    stream: record.streamId,
    revision: record.revision,
    position: fromClientPosition(position),
    type: record.type,
    data: record.data,
    metadata,
    recordedAt: record.created.toISOString(),
  };
}
