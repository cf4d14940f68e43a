/**
 * Upcasters: raise a stored event written by an older schema to the current one before it
 * reaches a machine. Stored events are never rewritten; replay upcasts as it reads.
 * Every event type is at schema 1 today; add `{ type, from, up }` entries as payloads change.
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

export const upcasters: readonly Upcaster[] = [];

export function upcast(type: string, data: JsonObject, schema: number, list: readonly Upcaster[] = upcasters): JsonObject {
  let version = schema;
  let current = data;
  const latest = Math.max(CURRENT_SCHEMA, ...list.filter((u) => u.type === type).map((u) => u.from + 1));
  while (version < latest) {
    const step = list.find((u) => u.type === type && u.from === version);
    if (!step) throw new InvariantError(`no upcaster for ${type} from schema ${version}`);
    current = step.up(current);
    version += 1;
  }
  if (version > latest) throw new InvariantError(`${type} has schema ${version}, newer than this mailtrail knows (${latest})`);
  return current;
}
