/**
 * The table of CLI commands: name → { summary, usage, load() }. Each command lives in its own
 * file in this folder and is loaded on demand, so `mailtrail queue` does not load the daemon.
 * A command module exports `run(args)` and its parseArgs `options` (for `--help` and for the
 * test that compares this table with docs/cli.md).
 */
import type { ParseArgsConfig } from 'node:util';

export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

export interface CommandModule {
  run(args: readonly string[]): Promise<number>;
  /** The options the command parses; absent for commands with none. */
  readonly options?: CommandOptions;
}

export interface Command {
  readonly summary: string;
  /** The synopsis after `mailtrail `, e.g. `queue [--json] [--all]`. */
  readonly usage: string;
  load(): Promise<CommandModule>;
}

const cmd = (usage: string, summary: string, load: () => Promise<CommandModule>): Command => ({ usage, summary, load });

const BULK = '<id>...|--all|- [--to-domain D] [--from-domain D] [--state S]';

export const commands: Record<string, Command> = {
  run: cmd(
    'run [--config FILE] [--user U --group G] [--pidfile F] [--daemon] [--log FILE] [--inspect[=PORT]] [--inspect-addresses show|mask] [--metrics[=PORT]]',
    'run the daemon',
    () => import('./runCommand.js'),
  ),
  version: cmd('version', 'print the version (also: mailtrail --version)', () => import('./versionCommand.js')),
  queue: cmd(
    'queue [--json] [--all] [--summary] [--config FILE]',
    'list the queued messages',
    () => import('./queueCommand.js'),
  ),
  show: cmd(
    'show <id> [--raw | --headers | --body | --envelope] [--json] [--config FILE]',
    "show a message's envelope, headers and a parsed summary",
    () => import('./showCommand.js'),
  ),
  history: cmd(
    'history <id> [--json | --diagram [--format mermaid|dot|svg]] [--config FILE]',
    'show the history of a message or session (<id>, message-<id> or session-<id>)',
    () => import('./historyCommand.js'),
  ),
  tail: cmd(
    'tail [-f] [--json] [-n N|all] [--message ID] [--session ID] [--from A] [--to A] [--type T[,T]] [--config FILE]',
    'print events as they are appended',
    () => import('./tailCommand.js'),
  ),
  search: cmd(
    'search [--from A] [--to A] [--subject TEXT] [--since 2h|ISO] [--state S[,S]] [--limit N] [--json] [--config FILE]',
    'find messages by envelope',
    () => import('./searchCommand.js'),
  ),
  retry: cmd(`retry ${BULK} [--config FILE]`, 'attempt deferred messages now', () => import('./retryCommand.js')),
  hold: cmd(`hold ${BULK} [--config FILE]`, 'stop delivery attempts for messages', () => import('./holdCommand.js')),
  release: cmd(`release ${BULK} [--config FILE]`, 'release held messages', () => import('./releaseCommand.js')),
  delete: cmd(`delete ${BULK} [--config FILE]`, 'remove messages without a bounce', () => import('./deleteCommand.js')),
  bounce: cmd(
    `bounce ${BULK} [--config FILE]`,
    "fail messages' pending recipients and send the DSN",
    () => import('./bounceCommand.js'),
  ),
  requeue: cmd(
    'requeue <id> | --quarantined [ID...] [--force] | --from-spool [--force] [--config FILE]',
    'run policies and routing again for a message; put quarantined bodies back (--quarantined), or every body after a lost log (--from-spool)',
    () => import('./requeueCommand.js'),
  ),
  sendmail: cmd(
    'sendmail [-f SENDER] [-F NAME] [-t] [-i] [-v] [--config FILE] [recipient...] < message',
    'queue a message read on stdin, for scripts and cron jobs on this host (needs the daemon)',
    () => import('./sendmailCommand.js'),
  ),
  check: cmd(
    'check [--bodies] [--config FILE]',
    'check the config and the data directory without starting',
    () => import('./checkCommand.js'),
  ),
  'rebuild-projections': cmd(
    'rebuild-projections [--config FILE]',
    'rebuild the messages and message_search tables from the log (daemon stopped)',
    () => import('./rebuildCommand.js'),
  ),
  machines: cmd(
    'machines export [--format json|mermaid|dot|svg] [--out DIR] [--machine NAME]',
    'export the machine definitions',
    () => import('./machinesCommand.js'),
  ),
  inspect: cmd(
    'inspect <id> [--port P] [--step MS | --all] [--addresses show|mask] [--config FILE]',
    'replay a message or session into the Stately inspector',
    () => import('./inspectCommand.js'),
  ),
};
