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
  version: lazy('print the version', () => import('./versionCommand.js')),
  history: lazy('show the history of a message or session: history <id> [--json] [--data-dir DIR]', () => import('./historyCommand.js')),
};
