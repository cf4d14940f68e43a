/**
 * Reading the configuration: loadConfig(file?) reads a YAML (or JSON) file, parseConfig
 * parses text as if read from `file`, defaultConfig() is what runs with no file at all.
 * Relative paths resolve against the file's directory (cwd without a file). Every failure
 * is a ConfigError naming the file and the key (or the line, for YAML syntax errors).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError } from '../errors/index.js';
import type { Config } from './config.js';
import { configErrorFromIssues, describeValue } from './configIssues.js';
import { configSchema } from './configSchema.js';
import { resolveConfig } from './resolveConfig.js';

function parseDocument(text: string, file?: string): unknown {
  try {
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true, merge: true });
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    const at = error.linePos?.[0];
    const where = at === undefined ? '(syntax)' : `line ${at.line}, column ${at.col}`;
    const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(where, `YAML syntax error: ${reason}`, file);
  }
}

/** The resolved Config for a value already parsed from YAML or JSON. */
export function configFromValue(value: unknown, file?: string): Config {
  const absolute = file === undefined ? undefined : resolve(file);
  const document = value ?? {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError('(top level)', `expected a mapping of keys, got ${describeValue(document)}`, absolute);
  }
  const result = configSchema.safeParse(document, { reportInput: true });
  if (!result.success) throw configErrorFromIssues(result.error.issues, absolute);
  return resolveConfig(result.data, absolute === undefined ? process.cwd() : dirname(absolute), absolute);
}

/** Parses configuration text (YAML or JSON) as if read from `file`. */
export function parseConfig(text: string, file?: string): Config {
  const absolute = file === undefined ? undefined : resolve(file);
  return configFromValue(parseDocument(text, absolute), absolute);
}

/** Reads and parses the configuration file; with no file, the defaults. */
export async function loadConfig(file?: string): Promise<Config> {
  if (file === undefined) return defaultConfig();
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError('(file)', `cannot read the configuration file: ${reason}`, absolute);
  }
  return parseConfig(text, absolute);
}

/** The configuration with no file: every default, paths relative to the working directory. */
export function defaultConfig(): Config {
  return configFromValue({});
}
