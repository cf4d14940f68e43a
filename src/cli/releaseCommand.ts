/**
 * `mailtrail release <id>`: let a held message be attempted again.
 * Recorded as MessageReleased (by: cli); through the daemon when it runs, else in the log.
 * See operatorCommand.ts for the daemon-or-log choice and the exit codes.
 */
import { runOperator } from './operatorCommand.js';

export const run = (args: readonly string[]): Promise<number> => runOperator('release', args);
export { options } from './operatorCommand.js';
