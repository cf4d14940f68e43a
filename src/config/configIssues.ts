/**
 * Turns zod issues into one ConfigError naming the file, the dotted key path
 * (`smtp.listen[1]`, `routes["example.test"].type`) and what was expected, with what was
 * found. The first problem becomes the error's key; any further ones are appended to its
 * message, one per line, so a single start-up attempt reports them all.
 */
import type { z } from 'zod';
import { ConfigError } from '../errors/index.js';

type Issue = z.core.$ZodIssue;
type Problem = { key: string; message: string };

/** `smtp.listen[1]`: dots between names, brackets for indexes and names that need quoting. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** A short description of a value found in the file. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return `${typeof value} ${String(value)}`;
}

const typeNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

function found(message: string, input: unknown): string {
  return input === undefined || /\bgot\b/.test(message) ? message : `${message}, got ${describeValue(input)}`;
}

function problemsOf(issue: Issue): Problem[] {
  const key = formatKeyPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((name) => ({ key: formatKeyPath([...issue.path, name]), message: issue.message }));
    case 'invalid_type':
      if (issue.input === undefined)
        return [{ key, message: `missing; expected ${typeNames[issue.expected] ?? issue.expected}` }];
      return [{ key, message: found(`expected ${typeNames[issue.expected] ?? issue.expected}`, issue.input) }];
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue && issue.errors.length === 0) {
        const options = issue.options ?? [];
        const input = (issue.input as Record<string, unknown> | undefined)?.[issue.discriminator];
        const expected = `expected one of: ${options.join(', ')}`;
        return [{ key, message: input === undefined ? `missing; ${expected}` : found(expected, input) }];
      }
      return [{ key, message: found(issue.message, issue.input) }];
    }
    case 'too_small':
    case 'too_big': {
      if (issue.origin !== 'number') return [{ key, message: found(issue.message, issue.input) }];
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      return [{ key, message: found(`expected a number ${op} ${String(bound)}`, issue.input) }];
    }
    case 'invalid_value':
      return [{ key, message: found(`expected one of: ${issue.values.map(String).join(', ')}`, issue.input) }];
    case 'invalid_key':
      return [{ key, message: found(issue.issues[0]?.message ?? issue.message, issue.input) }];
    default:
      return [{ key, message: found(issue.message, typeof issue.input === 'object' ? undefined : issue.input) }];
  }
}

/** One ConfigError for all of `issues` (which must not be empty). */
export function configErrorFromIssues(issues: readonly Issue[], file?: string): ConfigError {
  const problems = issues.flatMap(problemsOf);
  const [first, ...rest] = problems;
  const more = rest.map((p) => `\n  also ${p.key}: ${p.message}`).join('');
  return new ConfigError(first?.key ?? '(top level)', `${first?.message ?? 'invalid configuration'}${more}`, file);
}
