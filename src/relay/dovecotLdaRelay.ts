/**
 * The dovecot-lda relay (Debian package `dovecot-core`): runs
 * `/usr/lib/dovecot/dovecot-lda -e -f <sender> -a <recipient> -d <user>` once per recipient.
 * `-e` makes a rejection an exit code (EX_NOPERM) instead of a bounce dovecot would send
 * itself. `args` replaces the default `-d {user}` (e.g. `['-c', '/etc/dovecot/mailtrail.conf',
 * '-d', '{user}']`). A null sender is passed as `-f ""`. stdin is Return-Path + Delivered-To
 * + the message with LF line endings; outcomes as commandRelay.ts; see docs/relays.md.
 */
import type { ConfigSite } from './commandArgs.js';
import { CommandRelay, type CommandSpawn } from './commandRelay.js';
import { DOVECOT_LDA_DEFAULTS } from './relayDefaults.js';

export interface DovecotLdaRelayOptions {
  /** The dovecot-lda program. Default '/usr/lib/dovecot/dovecot-lda'. */
  readonly path?: string;
  /** The arguments after `-e -f <sender> -a <recipient>`. Default ['-d', '{user}']. */
  readonly args?: readonly string[];
  /** Milliseconds before the run is killed and the recipient deferred. Default 10 000. */
  readonly timeout?: number;
  /** Milliseconds between SIGTERM and SIGKILL for a run past its time limit. Default 2 000. */
  readonly killGrace?: number;
  /** How runs start: 'helper' (default; a small helper process forks them) or 'direct'. */
  readonly spawn?: CommandSpawn;
}

export const DOVECOT_LDA_PATH = DOVECOT_LDA_DEFAULTS.path;
export const DOVECOT_LDA_DEFAULT_ARGS: readonly string[] = Object.freeze(['-d', '{user}']);

export class DovecotLdaRelay extends CommandRelay {
  constructor(options: DovecotLdaRelayOptions = {}, site: ConfigSite = {}) {
    const key = site.key ?? 'relay';
    super({
      name: 'dovecot-lda',
      program: options.path ?? DOVECOT_LDA_PATH,
      fixedArgs: ['-e', '-f', '{sender}', '-a', '{recipient}'],
      args: options.args ?? DOVECOT_LDA_DEFAULT_ARGS,
      timeout: options.timeout,
      killGrace: options.killGrace,
      spawn: options.spawn,
      traceHeaders: true,
      keys: { program: `${key}.path`, args: `${key}.args` },
      site,
    });
  }
}
