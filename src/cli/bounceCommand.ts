/**
 * `mailtrail bounce <id>`: fail every pending recipient now and send the DSN.
 * Recorded as MessageBounced (by: cli); through the daemon when it runs, else in the log.
 * See operatorCommand.ts for the daemon-or-log choice and the exit codes.
 */
import { runOperator } from './operatorCommand.js';

export const run = (args: readonly string[]): Promise<number> => runOperator('bounce', args);
export { options } from './operatorCommand.js';
