/**
 * `mailtrail retry <id>|--all`: attempt a deferred message (or every deferred one) now.
 * Recorded as RetryRequested (by: cli); through the daemon when it runs, else in the log.
 * See operatorCommand.ts for the daemon-or-log choice and the exit codes.
 */
import { runOperator } from './operatorCommand.js';

export const run = (args: readonly string[]): Promise<number> => runOperator('retry', args);
export { options } from './operatorCommand.js';
