/**
 * The state name a person reads in a history: the leaf of the snapshot's state value
 * (`{ open: 'greeted' }` reads `greeted`; `received` reads `received`).
 */
import type { StateValue } from 'xstate';

export function stateName(value: StateValue): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value);
  const first = entries[0];
  if (!first) return '';
  const [parent, child] = first;
  return child === undefined ? parent : stateName(child as StateValue);
}
