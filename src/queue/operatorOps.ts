/**
 * The operator's commands on a message (retry, hold, release, delete, bounce, requeue) as the queue
 * knows them: the event each records, the states that accept it (read from the message
 * machine, never listed twice) and, when a state refuses it, a refusal in plain words that says
 * what to do instead ("message X is held; release it first"). Pure; used by the control socket
 * (daemon side) and by the CLI when it appends to the log itself.
 */
import type { MessageEvent } from '../../machines/message.events.js';
import { messageMachine } from '../../machines/message.machine.js';
import { isFinalState } from '../readmodel/messageSummary.js';

export type OperatorOp = 'retry' | 'hold' | 'release' | 'delete' | 'bounce' | 'requeue';

export const OPERATOR_OPS: readonly OperatorOp[] = ['retry', 'hold', 'release', 'delete', 'bounce', 'requeue'];

/** The event type each op records. */
export const OP_EVENT: Readonly<Record<OperatorOp, MessageEvent['type']>> = {
  retry: 'RetryRequested',
  hold: 'MessageHeld',
  release: 'MessageReleased',
  delete: 'MessageDeleted',
  bounce: 'MessageBounced',
  requeue: 'MessageRequeued',
};

/** The operator's event for `op`, stamped `at` and `by`. */
export function operatorEvent(op: OperatorOp, at: string, by: string): MessageEvent {
  switch (op) {
    case 'retry':
      return { type: 'RetryRequested', at, by };
    case 'hold':
      return { type: 'MessageHeld', at, by };
    case 'release':
      return { type: 'MessageReleased', at, by };
    case 'delete':
      return { type: 'MessageDeleted', at, by };
    case 'bounce':
      return { type: 'MessageBounced', at, reason: 'bounced by the operator', by };
    case 'requeue':
      return { type: 'MessageRequeued', at, by };
  }
}

const states = messageMachine.states as unknown as Record<string, { on: Record<string, unknown> }>;

/** Does the message machine accept `op` in `state`? */
export function acceptsOp(op: OperatorOp, state: string): boolean {
  return Object.hasOwn(states[state]?.on ?? {}, OP_EVENT[op]);
}

/** The states `op` applies to, in the machine's order. */
export function statesAccepting(op: OperatorOp): string[] {
  return Object.keys(states).filter((s) => acceptsOp(op, s));
}

const BUSY = new Set(['policies-applied', 'relay-attempted']);

/** Why `op` does not apply to message `id` in `state`, and what to do instead. */
export function refusalText(op: OperatorOp, id: string, state: string): string {
  const m = `message ${id}`;
  if (isFinalState(state)) return `${m} is already ${state}; there is nothing to ${op}`;
  if (op === 'hold' && state === 'held') return `${m} is already held`;
  if (op === 'release') return `${m} is not held (it is ${state}); only a held message can be released`;
  if (state === 'held') return `${m} is held; release it first`;
  if (BUSY.has(state))
    return `${m} is being delivered right now; ${op} it when this attempt is over (mailtrail queue shows it)`;
  if (op === 'requeue' && state === 'received')
    return `${m} is already waiting for its policies and routing to run again (received); there is nothing to requeue`;
  return `${m} is ${state}; ${op} does not apply in that state`;
}
