/**
 * The `mailtrail` command: parses the first word and hands the rest to that command's
 * module. `mailtrail --help`, `mailtrail <command> --help` and `mailtrail --version` answer
 * before any command runs. Returns the process exit code as sysexits does: 0 ok, 1 not found
 * or refused (per command), 64 usage (bad option, missing id), 69 unavailable, 70 internal,
 * 78 configuration. Errors are one clear line, never a stack trace, unless DEBUG is set.
 */
import { commands, type Command, type CommandOptions } from './commands.js';
import { ConfigError, MailtrailError } from '../errors/mailtrailError.js';

export const EXIT = { ok: 0, usage: 64, unavailable: 69, internal: 70, config: 78 } as const;

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    if (name === 'help' && rest[0] !== undefined && commands[rest[0]]) return printHelp(rest[0], commands[rest[0]]!);
    process.stdout.write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') return runCommand('version', commands.version!, []);
  const command: Command | undefined = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`mailtrail: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  if (wantsHelp(rest)) return printHelp(name, command);
  return runCommand(name, command, rest);
}

async function runCommand(name: string, command: Command, args: readonly string[]): Promise<number> {
  try {
    return await (await command.load()).run(args);
  } catch (err) {
    if (process.env.DEBUG) console.error(err);
    if (isParseArgsError(err)) {
      // node's message ends with a hint about `--`; the first sentence says what is wrong.
      const what = err.message.split(/\.\s/)[0] ?? err.message;
      process.stderr.write(
        `mailtrail ${name}: ${what}\nusage: mailtrail ${command.usage}\n(mailtrail ${name} --help for more)\n`,
      );
      return EXIT.usage;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof ConfigError) {
      process.stderr.write(`mailtrail ${name}: configuration error: ${message}\n`);
      return EXIT.config;
    }
    process.stderr.write(`mailtrail ${name}: ${message}\n`);
    return err instanceof MailtrailError && err.code === 'ERR_USAGE' ? EXIT.usage : EXIT.internal;
  }
}

/** `--help` or `-h` anywhere before a `--`. */
function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

function isParseArgsError(err: unknown): err is Error & { code: string } {
  // node:util's parseArgs errors (unknown option, missing value …), a node code, not ours.
  return err instanceof TypeError && /^ERR_PARSE_ARGS_/.test(String((err as { code?: unknown }).code));
}

/** The options of a command as help lines: `-c, --config VALUE`. */
export function optionLines(options: CommandOptions | undefined, synopsis = ''): string[] {
  if (!options) return [];
  return Object.entries(options).map(([long, o]) => {
    // The value's name as the synopsis writes it (`--config FILE`), else VALUE.
    const named = new RegExp(`--${long}[ =]\\[?([A-Z][A-Z_]*|[a-z]+(?:\\|[a-z]+)+)`).exec(synopsis)?.[1];
    const flag = `${o.short ? `-${o.short}, ` : ''}--${long}${o.type === 'string' ? ` ${named ?? 'VALUE'}` : ''}`;
    return `  ${flag}${o.multiple ? ' (repeatable)' : ''}`;
  });
}

async function printHelp(name: string, command: Command): Promise<number> {
  const module = await command.load();
  const lines = optionLines(module.options, command.usage);
  process.stdout.write(
    `usage: mailtrail ${command.usage}\n\n${command.summary}\n` +
      (lines.length ? `\noptions:\n${lines.join('\n')}\n  -h, --help\n` : '') +
      `\nThe commands are described in docs/cli.md.\n`,
  );
  return EXIT.ok;
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  const lines = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)} ${c.summary}`);
  return `usage: mailtrail <command> [options]\n       mailtrail <command> --help\n       mailtrail --version\n\ncommands:\n${lines.join('\n')}\n`;
}
