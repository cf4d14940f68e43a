/**
 * Upcasters: raise a stored event written by an older schema to the current one before it
 * reaches a machine. Stored events are never rewritten; replay upcasts as it reads.
 * Add `{ type, from, up }` entries as payloads change; `schemaOf(type)` is the schema new
 * events of that type are written with. MessageBounced is at schema 2: before it, an operator
 * bounce kept each pending recipient's last status and the message ended by its recipients'
 * outcomes (delivered when any was); schema-1 events are marked so the machine does the same.
 */
import type { JsonObject } from '../eventlog/eventLog.js';
import { InvariantError } from '../errors/mailtrailError.js';

export interface Upcaster {
  readonly type: string;
  /** The schema version this upcaster reads; it returns version from + 1. */
  readonly from: number;
  up(data: JsonObject): JsonObject;
}

export const CURRENT_SCHEMA = 1;

export const upcasters: readonly Upcaster[] = [
  { type: 'MessageBounced', from: 1, up: (data) => ({ ...data, schema1: true }) },
];

/** The schema an event of `type` is written with today (the latest its upcasters reach). */
export function schemaOf(type: string, list: readonly Upcaster[] = upcasters): number {
  return Math.max(CURRENT_SCHEMA, ...list.filter((u) => u.type === type).map((u) => u.from + 1));
}

export function upcast(
  type: string,
  data: JsonObject,
  schema: number,
  list: readonly Upcaster[] = upcasters,
): JsonObject {
  let version = schema;
  let current = data;
  const latest = schemaOf(type, list);
  while (version < latest) {
    const step = list.find((u) => u.type === type && u.from === version);
    if (!step) throw new InvariantError(`no upcaster for ${type} from schema ${version}`);
    current = step.up(current);
    version += 1;
  }
  if (version > latest)
    throw new InvariantError(`${type} has schema ${version}, newer than this mailtrail knows (${latest})`);
  return current;
}
