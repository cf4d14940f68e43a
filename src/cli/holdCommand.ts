/**
 * `mailtrail hold <id>`: stop delivery attempts for a message until it is released.
 * Recorded as MessageHeld (by: cli); through the daemon when it runs, else in the log.
 * See operatorCommand.ts for the daemon-or-log choice and the exit codes.
 */
import { runOperator } from './operatorCommand.js';

export const run = (args: readonly string[]): Promise<number> => runOperator('hold', args);
export { options } from './operatorCommand.js';
