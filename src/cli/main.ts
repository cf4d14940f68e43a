/**
 * The `mailtrail` command: parses the first word and hands the rest to that command's
 * module. Returns the process exit code (0 ok, 64 usage, 69 unavailable, 70 internal) as
 * sysexits does; errors are printed as one clear line, never a stack trace, unless DEBUG is set.
 */
import { commands, type Command } from './commands.js';
import { MailtrailError } from '../errors/mailtrailError.js';

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name === undefined ? 64 : 0;
  }
  const command: Command | undefined = commands[name];
  if (!command) {
    process.stderr.write(`mailtrail: unknown command "${name}"\n\n${usage()}`);
    return 64;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (process.env.DEBUG) console.error(err);
    const message = err instanceof MailtrailError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`mailtrail ${name}: ${message}\n`);
    return err instanceof MailtrailError && err.code === 'ERR_USAGE' ? 64 : 70;
  }
}

function usage(): string {
  const lines = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `usage: mailtrail <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}
