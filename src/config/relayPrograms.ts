/**
 * checkRelayPrograms: the programs the configured relays run (maildrop, dovecot-lda, a pipe's
 * command) must exist and be executable before the daemon starts; otherwise every delivery
 * would defer until the message expires. A missing one is a ConfigError naming the key
 * (`relay.path`, `routes.<domain>.command[0]`) and the file, so `mailtrail run` exits 78
 * (EX_CONFIG), which the shipped systemd unit does not restart on. A bare name is looked up
 * on PATH, as spawn() will; a path is checked as it stands. Reads the file system only.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ConfigError } from '../errors/mailtrailError.js';
import type { Config } from './config.js';
import type { RelayConfig } from './relaySchema.js';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Where `program` would be run from, or undefined when it cannot be. */
export function findProgram(program: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  if (program.includes('/')) return isExecutable(program) ? program : undefined;
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function programOf(relay: RelayConfig): { program: string; key: string } | undefined {
  switch (relay.type) {
    case 'maildrop':
    case 'dovecotLda':
      return { program: relay.path, key: 'path' };
    case 'pipe':
      return { program: relay.command[0]!, key: 'command[0]' };
    default:
      return undefined;
  }
}

/** Throws a ConfigError for the first relay whose program cannot be run. */
export function checkRelayPrograms(config: Config): void {
  const relays: [string, RelayConfig][] = [
    ['relay', config.relay],
    ...Object.entries(config.routes).map(([d, r]): [string, RelayConfig] => [`routes.${d}`, r]),
  ];
  for (const [where, relay] of relays) {
    const found = programOf(relay);
    if (!found || findProgram(found.program)) continue;
    const how = found.program.includes('/')
      ? 'no executable file at that path'
      : `not found on PATH (${process.env.PATH ?? ''})`;
    throw new ConfigError(
      `${where}.${found.key}`,
      `the ${relay.type} relay's program "${found.program}" cannot be run: ${how}; install it or give its path`,
      config.file,
    );
  }
}
