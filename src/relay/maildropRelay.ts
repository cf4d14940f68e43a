/**
 * The maildrop relay (Courier maildrop, Debian package `maildrop`): runs
 * `maildrop -f <sender> -d <user>` once per recipient, `-f <sender>` always first; `args`
 * replaces the default `-d {user}` (e.g. a filter file: `['/etc/mailtrail/mailfilter']`).
 * A null sender is passed as `-f ""` (maildrop then sets FROM to MAILER-DAEMON). stdin is
 * Return-Path + Delivered-To + the message with LF line endings. Outcomes as commandRelay.ts.
 * A missing program is a ConfigError at construction. See docs/relays.md for uids and DEFAULT.
 */
import type { ConfigSite } from './commandArgs.js';
import { CommandRelay, type CommandSpawn } from './commandRelay.js';
import { MAILDROP_DEFAULTS } from './relayDefaults.js';

export interface MaildropRelayOptions {
  /** The maildrop program: a path, or a name looked up on PATH. Default 'maildrop'. */
  readonly path?: string;
  /** The arguments after `-f <sender>`, placeholders substituted. Default ['-d', '{user}']. */
  readonly args?: readonly string[];
  /** Milliseconds before the run is killed and the recipient deferred. Default 10 000. */
  readonly timeout?: number;
  /** Milliseconds between SIGTERM and SIGKILL for a run past its time limit. Default 2 000. */
  readonly killGrace?: number;
  /** How runs start: 'helper' (default; a small helper process forks them) or 'direct'. */
  readonly spawn?: CommandSpawn;
}

export const MAILDROP_DEFAULT_ARGS: readonly string[] = Object.freeze(['-d', '{user}']);

export class MaildropRelay extends CommandRelay {
  constructor(options: MaildropRelayOptions = {}, site: ConfigSite = {}) {
    const key = site.key ?? 'relay';
    super({
      name: 'maildrop',
      program: options.path ?? MAILDROP_DEFAULTS.path,
      fixedArgs: ['-f', '{sender}'],
      args: options.args ?? MAILDROP_DEFAULT_ARGS,
      timeout: options.timeout,
      killGrace: options.killGrace,
      spawn: options.spawn,
      traceHeaders: true,
      keys: { program: `${key}.path`, args: `${key}.args` },
      site,
    });
  }
}
