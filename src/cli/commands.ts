/**
 * The table of CLI commands: name → { summary, run(args) }. Each command lives in its own
 * file in this folder and is loaded on demand, so `mailtrail queue` does not load the daemon.
 */
export interface Command {
  readonly summary: string;
  run(args: readonly string[]): Promise<number>;
}

const lazy = (summary: string, load: () => Promise<{ run(args: readonly string[]): Promise<number> }>): Command => ({
  summary,
  run: async (args) => (await load()).run(args),
});

export const commands: Record<string, Command> = {
  run: lazy('run the daemon: run [--config FILE] [--user U --group G] [--pidfile F] [--daemon] [--log FILE] [--inspect[=PORT]] [--metrics[=PORT]]', () => import('./runCommand.js')),
  version: lazy('print the version', () => import('./versionCommand.js')),
  inspect: lazy('replay a message or session into the Stately inspector: inspect <id> [--port P] [--step MS | --all] [--addresses show|mask]', () => import('./inspectCommand.js')),
  history: lazy('show the history of a message or session: history <id> [--json] [--diagram [--format mermaid|dot|svg]] [--config FILE]', () => import('./historyCommand.js')),
  queue: lazy('list the queued messages: queue [--json] [--all] [--summary] [--config FILE]', () => import('./queueCommand.js')),
  tail: lazy('print events as they are appended: tail [-f] [--json] [-n N] [--message ID] [--session ID] [--from A] [--to A] [--type T]', () => import('./tailCommand.js')),
  search: lazy('find messages by envelope: search [--from A] [--to A] [--subject TEXT] [--since 2h|ISO] [--state S] [--json]', () => import('./searchCommand.js')),
  'rebuild-projections': lazy('rebuild the messages and message_search tables from the log (daemon stopped)', () => import('./rebuildCommand.js')),
  show: lazy('show a message\'s headers and a parsed summary: show <id> [--raw] [--json]', () => import('./showCommand.js')),
  retry: lazy('attempt a deferred message now: retry <id>|--all', () => import('./retryCommand.js')),
  hold: lazy('stop delivery attempts for a message: hold <id>', () => import('./holdCommand.js')),
  release: lazy('release a held message: release <id>', () => import('./releaseCommand.js')),
  delete: lazy('remove a message without a bounce: delete <id>', () => import('./deleteCommand.js')),
  machines: lazy('export the machine definitions: machines export [--format json|mermaid|dot|svg] [--out DIR]', () => import('./machinesCommand.js')),
  bounce: lazy('fail a message\'s pending recipients and send the DSN: bounce <id>', () => import('./bounceCommand.js')),
};
