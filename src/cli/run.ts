/**
 * Runs the CLI straight from the TypeScript sources (`node --import tsx src/cli/run.ts …`),
 * for tests and development; bin/mailtrail.js runs the compiled dist/ instead.
 * Sets the process exit code from main() and lets the event loop drain.
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
