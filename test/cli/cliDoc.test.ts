/**
 * docs/cli.md and the command table agree: every command has its section (the operator
 * commands share one), every `mailtrail <word>` the page names is a command, every option a
 * command parses is written in its section, and every `--option` a section's heading or
 * tables name is one the command parses. `--config`, `--help` and `--version` are global.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commands } from '../../src/cli/commands.js';

const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
const OPERATORS = ['retry', 'hold', 'release', 'delete', 'bounce'];
const GLOBAL = new Set(['config', 'help', 'version']);

/** `## ` sections by the command they document. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of doc.split(/^(?=## )/m)) {
    const name = /^## `mailtrail ([a-z-]+)/.exec(part)?.[1];
    if (name) out.set(name, part);
    if (part.startsWith('## Operator commands')) for (const op of OPERATORS) out.set(op, part);
  }
  return out;
}

const longOptions = (text: string): string[] => [
  ...new Set([...text.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]!)),
];

describe('docs/cli.md', () => {
  const bySection = sections();

  it('has a section for every command', () => {
    const missing = Object.keys(commands).filter((n) => !bySection.has(n));
    assert.deepEqual(missing, [], `commands without a section in docs/cli.md: ${missing.join(', ')}`);
  });

  it('names no command that does not exist', () => {
    const named = new Set([...doc.matchAll(/`mailtrail ([a-z][a-z-]*)/g)].map((m) => m[1]!));
    const unknown = [...named].filter((n) => !Object.hasOwn(commands, n));
    assert.deepEqual(unknown, [], `docs/cli.md names commands that do not exist: ${unknown.join(', ')}`);
  });

  for (const [name, command] of Object.entries(commands)) {
    it(`documents exactly the options of ${name}`, async () => {
      const section = bySection.get(name) ?? '';
      const parsed = Object.keys((await command.load()).options ?? {});
      const undocumented = parsed.filter((o) => !GLOBAL.has(o) && !section.includes(`--${o}`));
      assert.deepEqual(
        undocumented,
        [],
        `${name} parses options its section does not mention: ${undocumented.join(', ')}`,
      );
      // The heading and the tables (rows starting with |) are where a section lists its own options.
      const own = section
        .split('\n')
        .filter((l) => l.startsWith('## ') || l.startsWith('| `--') || l.startsWith('| `-'));
      const unknown = longOptions(own.join('\n')).filter((o) => !GLOBAL.has(o) && !parsed.includes(o));
      assert.deepEqual(unknown, [], `docs/cli.md lists options ${name} does not parse: ${unknown.join(', ')}`);
    });

    it(`documents the short options of ${name}, and its --help usage names only options it parses`, async () => {
      const section = bySection.get(name) ?? '';
      const options = (await command.load()).options ?? {};
      const shorts = Object.entries(options)
        .filter(([long, o]) => o.short !== undefined && !GLOBAL.has(long))
        .map(([long, o]) => ({ long, short: o.short! }));
      const undocumented = shorts
        .filter(({ short }) => !new RegExp(`(?<![\\w-])-${short}(?![\\w-])`).test(section))
        .map((o) => `-${o.short} (--${o.long})`);
      assert.deepEqual(undocumented, [], `${name}: short options its section does not mention`);
      const usageOptions = longOptions(command.usage).filter((o) => !GLOBAL.has(o) && !Object.hasOwn(options, o));
      assert.deepEqual(
        usageOptions,
        [],
        `${name}: the usage in src/cli/commands.ts names options the command does not parse`,
      );
      if (name === 'sendmail') return; // reads sendmail's own flags (-f -F -t -i -v) itself, as sendmail(8) does
      const usageShorts = [...command.usage.matchAll(/(?<![\w-])-([a-zA-Z])(?![\w-])/g)]
        .map((m) => m[1]!)
        .filter((c) => c !== 'c' && c !== 'h' && !shorts.some((o) => o.short === c));
      assert.deepEqual(usageShorts, [], `${name}: the usage names short options the command does not parse`);
    });
  }

  it('documents the global options and the version command', () => {
    for (const text of ['--config FILE', '`-c`', '--help', '`-h`', '`mailtrail --version`'])
      assert.ok(doc.includes(text), `docs/cli.md does not mention ${text}`);
    assert.ok(bySection.has('run') && bySection.has('version'));
  });
});
