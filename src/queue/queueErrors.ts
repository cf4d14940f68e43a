/** Errors of the queue's operator commands. */
import { InvariantError } from '../errors/mailtrailError.js';

/** An operator command named a message this queue does not hold (unknown or already final). */
export class UnknownMessageError extends InvariantError {
  constructor(id: string) {
    super(`no live message ${id} in the queue`, 'ERR_UNKNOWN_MESSAGE');
  }
}
