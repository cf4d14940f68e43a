/**
 * The message machine's states as read models, metrics and the CLI group them, read from the
 * machine definition, never listed by hand: the final states (`type: 'final'`), and the live
 * ones a message rests in (not the initial state, not final, not a state that only decides
 * where to go: eventless transitions and no events of its own, like `settling`).
 */
import { messageMachine } from '../../machines/message.machine.js';

interface StateConfig {
  readonly type?: string;
  readonly always?: unknown;
  readonly on?: Readonly<Record<string, unknown>>;
}

const states = messageMachine.config.states as Readonly<Record<string, StateConfig>>;
const initial = messageMachine.config.initial as string;
const isDeciding = (s: StateConfig): boolean => s.always !== undefined && Object.keys(s.on ?? {}).length === 0;

export const FINAL_STATES: readonly string[] = Object.keys(states).filter((name) => states[name]!.type === 'final');

export const LIVE_STATES: readonly string[] = Object.keys(states).filter(
  (name) => name !== initial && states[name]!.type !== 'final' && !isDeciding(states[name]!),
);

export const isFinalState = (state: string): boolean => FINAL_STATES.includes(state);
