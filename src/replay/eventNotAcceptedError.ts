/**
 * EventNotAcceptedError: a machine does not accept an event in its current state. Thrown by
 * applyEvent (replay.ts) for a stored history that breaks the machine (a bug), and for a new
 * event the runtime tried to record: an operator's `hold` of a delivered message, a `retry` of
 * a held one. Carries the event type and the state, so callers decide on the class and word the
 * refusal themselves (src/queue/operatorRefusal.ts), never on this message's text.
 */
import { InvariantError } from '../errors/mailtrailError.js';

export class EventNotAcceptedError extends InvariantError {
  constructor(
    readonly where: string,
    readonly eventType: string,
    readonly state: string,
  ) {
    super(`${where}: ${eventType} is not accepted in state ${state}`, 'ERR_EVENT_NOT_ACCEPTED');
  }
}
