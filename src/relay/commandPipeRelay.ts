/**
 * The pipe relay (config type `pipe`): any program, given as an argv list whose entries
 * may hold `{sender}`, `{recipient}`, `{user}`, `{domain}` and `{messageId}` (the queue
 * id), each substituted inside its entry, which stays one argv entry; no shell runs it.
 * It runs once per recipient with the message on stdin (LF line endings, nothing
 * prepended: unlike maildrop and dovecot-lda it adds no Return-Path/Delivered-To).
 * Exit codes map as sysExits.ts; a signal or the time limit defers (commandRelay.ts).
 */
import { ConfigError } from '../errors/mailtrailError.js';
import type { ConfigSite } from './commandArgs.js';
import { CommandRelay, type CommandSpawn } from './commandRelay.js';

export interface PipeRelayOptions {
  /** [program, arg, ...]: the program a path or a name on PATH, args with placeholders. */
  readonly command: readonly string[];
  /** Milliseconds before the run is killed and the recipient deferred. Default 10 000. */
  readonly timeout?: number;
  /** Milliseconds between SIGTERM and SIGKILL for a run past its time limit. Default 2 000. */
  readonly killGrace?: number;
  /** How runs start: 'helper' (default; a small helper process forks them) or 'direct'. */
  readonly spawn?: CommandSpawn;
}

export class PipeRelay extends CommandRelay {
  constructor(options: PipeRelayOptions, site: ConfigSite = {}) {
    const key = site.key ?? 'relay';
    const [program, ...args] = options.command;
    if (program === undefined)
      throw new ConfigError(`${key}.command`, 'expected a command as a list: [program, arg, ...]', site.file);
    super({
      name: 'pipe',
      program,
      fixedArgs: [],
      args,
      timeout: options.timeout,
      killGrace: options.killGrace,
      spawn: options.spawn,
      traceHeaders: false,
      keys: { program: `${key}.command[0]`, args: `${key}.command`, argsIndex: 1 },
      site,
    });
  }
}
