/**
 * The two shapes of one event: stored (`{ type, data, metadata }` in the log) and sent to a
 * machine (`{ type, ...data }`, XState's flat event object). Converting is lossless both ways.
 * Metadata carries the schema version, the machine and its version, and the state reached.
 */
import type { EventData, JsonObject } from '../eventlog/eventLog.js';

export interface MachineEventObject {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface EventMetadata extends JsonObject {
  /** Payload schema version of this event type (upcasters raise older ones). */
  schema: number;
  /** Which machine the stream belongs to and the machine version that wrote it. */
  machine: string;
  machineVersion: number;
  /** The machine state after this event (checked on replay). */
  state: string;
}

export function toMachineEvent(stored: { type: string; data: JsonObject }): MachineEventObject {
  return { ...stored.data, type: stored.type };
}

export function toEventData(event: MachineEventObject, metadata: EventMetadata): EventData {
  const { type, ...data } = event;
  return { type, data: data as JsonObject, metadata };
}
