/**
 * Turns the zod output (ParsedConfig) into the resolved Config: relative paths are made
 * absolute against the config file's directory (or cwd without a file), dataDir-derived
 * defaults are filled in (events.sqlite, mail/), hostname defaults to os.hostname(),
 * smtp relays get `mx`. Pure apart from os.hostname(); cannot fail.
 */
import { hostname as osHostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { Config, EventLogConfig } from './config.js';
import type { ParsedConfig } from './configSchema.js';
import type { RelayConfig, RelayInput } from './relaySchema.js';

/** A program path: bare names are left for PATH lookup, anything with a slash is resolved. */
function programPath(baseDir: string, path: string): string {
  return path.includes('/') && !isAbsolute(path) ? resolve(baseDir, path) : path;
}

function resolveRelay(relay: RelayInput, baseDir: string, dataDir: string): RelayConfig {
  switch (relay.type) {
    case 'maildir':
      return { ...relay, root: relay.root === undefined ? resolve(dataDir, 'mail') : resolve(baseDir, relay.root) };
    case 'maildrop':
    case 'dovecotLda':
      return { ...relay, path: programPath(baseDir, relay.path) };
    case 'pipe': {
      const [program, ...args] = relay.command;
      return { ...relay, command: [programPath(baseDir, program!), ...args] };
    }
    case 'smtp':
      return { ...relay, mx: relay.mx ?? relay.host === undefined };
    case 'lmtp':
      return relay.socket === undefined ? relay : { ...relay, socket: resolve(baseDir, relay.socket) };
    default:
      return relay;
  }
}

/** The resolved Config for `parsed`, read from `file` (absolute) or from nowhere. */
export function resolveConfig(parsed: ParsedConfig, baseDir: string, file?: string): Config {
  const dataDir = resolve(baseDir, parsed.dataDir);
  const store = parsed.eventLog;
  const eventLog: EventLogConfig =
    store.type === 'sqlite'
      ? {
          type: 'sqlite',
          path: store.path === undefined ? resolve(dataDir, 'events.sqlite') : resolve(baseDir, store.path),
          writer: store.writer,
        }
      : store;
  const { tls, mailboxes, auth, ...smtp } = parsed.smtp;
  const routes = Object.fromEntries(
    Object.entries(parsed.routes).map(([domain, relay]) => [domain, resolveRelay(relay, baseDir, dataDir)]),
  );
  return {
    ...(file === undefined ? {} : { file }),
    hostname: parsed.hostname ?? osHostname(),
    node: parsed.node ?? parsed.hostname ?? osHostname(),
    dataDir,
    eventLog,
    smtp: {
      ...smtp,
      ...(mailboxes === undefined ? {} : { mailboxes }),
      ...(auth === undefined ? {} : { auth }),
      ...(tls === undefined
        ? {}
        : { tls: { ...tls, key: resolve(baseDir, tls.key), cert: resolve(baseDir, tls.cert) } }),
    },
    relay: resolveRelay(parsed.relay, baseDir, dataDir),
    routes,
    ...(parsed.outbound === undefined
      ? {}
      : { outbound: { ...parsed.outbound, mx: parsed.outbound.mx ?? parsed.outbound.host === undefined } }),
    policies: parsed.policies,
    queue: parsed.queue,
    spool: parsed.spool,
    ...(parsed.user === undefined ? {} : { user: parsed.user }),
    ...(parsed.group === undefined ? {} : { group: parsed.group }),
    ...(parsed.pidfile === undefined ? {} : { pidfile: resolve(baseDir, parsed.pidfile) }),
    log: parsed.log,
  };
}
