/**
 * The values `search --state` and `tail --type` accept, read from the machines themselves (a
 * new state or event type is known here without a second list): the message states a stored
 * message can be in (not the initial `new` nor the transient `settling`), plus `live` and
 * `final`; and every event type either machine handles. A value outside them is a usage error
 * that lists the valid ones.
 */
import { messageMachine } from '../../machines/message.machine.js';
import { smtpSessionMachine } from '../../machines/smtpSession.machine.js';
import { UsageError } from './openLog.js';

const TRANSIENT = new Set(['new', 'settling']);

export const messageStates = (): string[] => Object.keys(messageMachine.states).filter((s) => !TRANSIENT.has(s));

export const searchStates = (): string[] => [...messageStates(), 'live', 'final'];

export const eventTypes = (): string[] => [
  ...new Set([...messageMachine.root.events, ...smtpSessionMachine.root.events]),
];

/** Each of `values` if it is one of `valid`, else a UsageError naming the valid ones. */
export function checkValues(option: string, values: readonly string[], valid: readonly string[]): readonly string[] {
  const unknown = values.filter((v) => !valid.includes(v));
  if (unknown.length > 0) {
    throw new UsageError(
      `${option}: unknown value${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}; valid values: ${valid.join(', ')}`,
    );
  }
  return values;
}
