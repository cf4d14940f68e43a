/**
 * `mailtrail delete <id>`: remove a message from the queue without a bounce (postsuper -d).
 * Recorded as MessageDeleted (by: cli); refused for a final message (delivered, bounced …).
 * See operatorCommand.ts for the daemon-or-log choice and the exit codes.
 */
import { runOperator } from './operatorCommand.js';

export const run = (args: readonly string[]): Promise<number> => runOperator('delete', args);
export { options } from './operatorCommand.js';
