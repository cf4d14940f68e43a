/**
 * A machine as JSON for Stately's tools: the machine's own config (`machine.config`, the
 * object given to `createMachine`), serialized the way `@statelyai/inspect` sends an actor's
 * definition to the inspector — an inline function (an `assign(...)`) becomes `{ "type": name }`.
 * Named actions and guards stay strings, so `createMachine(JSON.parse(text))` builds the same
 * states and transitions (test/machines/machineExport.test.ts) and Stately Studio imports it.
 */
import type { AnyStateMachine } from 'xstate';

/** JSON.stringify replacer: functions (inline actions, guards) as `{ type }` objects. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'function') return { type: value.name || 'inline' };
  return value;
}

/** The config object, JSON-safe (a deep copy). */
export function machineConfigJson(machine: AnyStateMachine): Record<string, unknown> {
  return JSON.parse(JSON.stringify(machine.config, replacer)) as Record<string, unknown>;
}

/** Pretty-printed JSON text of the machine's config, newline-terminated. */
export function machineJson(machine: AnyStateMachine): string {
  return `${JSON.stringify(machineConfigJson(machine), null, 2)}\n`;
}
