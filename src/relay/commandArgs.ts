/**
 * The argv of a delivery command: `{sender}`, `{recipient}`, `{user}`, `{domain}` and
 * `{messageId}` placeholders substituted inside each template entry, which stays exactly
 * one argv entry whatever the address holds (no shell ever sees it). Unknown placeholders
 * and missing programs are ConfigErrors at construction, naming the key. Addresses a
 * command line could mistake for options (leading '-', Postfix's allow_min_user=no) or
 * that hold control characters are refused per recipient: 5.1.3 (recipient), 5.1.7 (sender).
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors/mailtrailError.js';
import { splitAddress } from '../mail/address.js';

export const PLACEHOLDERS = ['sender', 'recipient', 'user', 'domain', 'messageId'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type CommandVars = Readonly<Record<Placeholder, string>>;

/** Where a relay's options came from, for ConfigError: `relay` or `routes.<domain>`. */
export interface ConfigSite {
  readonly key?: string;
  readonly file?: string;
}

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

/** Throws a ConfigError naming `key` when a template uses an unknown placeholder. */
export function checkTemplate(template: readonly string[], key: string, site: ConfigSite = {}, firstIndex = 0): void {
  for (const [offset, entry] of template.entries()) {
    const index = firstIndex + offset;
    for (const [, name] of entry.matchAll(PLACEHOLDER)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(name!)) {
        const known = PLACEHOLDERS.map((p) => `{${p}}`).join(', ');
        throw new ConfigError(`${key}[${index}]`, `unknown placeholder {${name}} (known: ${known})`, site.file);
      }
    }
  }
}

/** The template with every placeholder replaced; each entry remains one argv entry. */
export function substitute(template: readonly string[], vars: CommandVars): string[] {
  return template.map((entry) =>
    entry.replace(PLACEHOLDER, (whole, name: string) => (name in vars ? vars[name as Placeholder] : whole)),
  );
}

/** Splits `local@domain` (src/mail/address.ts); a quoted local part is unquoted (RFC 5321 4.1.2). */
export function addressParts(address: string): { local: string; domain: string } {
  const { local, domain } = splitAddress(address);
  const unquoted = /^".*"$/s.test(local) ? local.slice(1, -1).replace(/\\(.)/gs, '$1') : local;
  return { local: unquoted, domain };
}

export type AddressCheck = { ok: true; vars: CommandVars } | { ok: false; status: string; reply: string };

/** The placeholder values for one recipient, or why the addresses cannot go on a command line. */
export function commandVars(sender: string, recipient: string, messageId: string): AddressCheck {
  if (/\p{Cc}/u.test(sender))
    return { ok: false, status: '5.1.7', reply: 'sender address contains a control character' };
  if (sender.startsWith('-')) return { ok: false, status: '5.1.7', reply: "sender address begins with '-'" };
  if (/\p{Cc}/u.test(recipient))
    return { ok: false, status: '5.1.3', reply: 'recipient address contains a control character' };
  const { local, domain } = addressParts(recipient);
  if (recipient.startsWith('-') || local.startsWith('-') || local === '') {
    return { ok: false, status: '5.1.3', reply: "recipient address has an empty local part or begins with '-'" };
  }
  return { ok: true, vars: { sender, recipient, user: local.toLowerCase(), domain: domain.toLowerCase(), messageId } };
}

/**
 * The absolute path of an executable program: a path with a slash is checked as given
 * (resolved against cwd), a bare name is searched on PATH. Throws a ConfigError otherwise.
 */
export function resolveProgram(
  program: string,
  key: string,
  site: ConfigSite = {},
  searchPath = process.env.PATH ?? '',
): string {
  if (program === '') throw new ConfigError(key, 'expected a program path', site.file);
  if (program.includes('/')) {
    const absolute = path.resolve(program);
    const problem = executableProblem(absolute);
    if (problem !== undefined) throw new ConfigError(key, `${absolute}: ${problem}`, site.file);
    return absolute;
  }
  const dirs = searchPath.split(':').filter((dir) => dir !== '' && path.isAbsolute(dir));
  for (const dir of dirs) {
    const candidate = path.join(dir, program);
    if (executableProblem(candidate) === undefined) return candidate;
  }
  throw new ConfigError(
    key,
    `program "${program}" not found on PATH (${dirs.join(':') || 'empty'}); install it or give its full path`,
    site.file,
  );
}

/** Why `file` cannot be run, or undefined when it is an executable regular file. */
function executableProblem(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return 'not a regular file';
    accessSync(file, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such program';
    if (code === 'EACCES') return 'not executable (permission denied)';
    return err instanceof Error ? err.message : String(err);
  }
}
