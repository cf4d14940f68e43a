/**
 * Keeps docs/configuration.md and the configuration schema in step: every key the zod
 * schema accepts (walked by schemaKeys.ts) must have a table row (key | type | default |
 * example), keys of one relay or
 * event-log type in that type's section, each policy and its options in its own section;
 * and every key listed in the doc's tables must exist in the schema.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { configSchema, policyNames, policyOptionSchemas } from '../../src/config/index.js';
import { schemaKeys } from './schemaKeys.js';

const doc = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

interface Section {
  heading: string;
  body: string;
}

/** Each heading with the text under it, down to the next heading of the same or a higher level. */
function sections(markdown: string): Section[] {
  const lines = markdown.split('\n');
  let fenced = false;
  const headings = lines.flatMap((line, index) => {
    if (line.startsWith('```')) fenced = !fenced;
    const match = fenced ? null : /^(#+)\s+(.*)$/.exec(line);
    return match ? [{ index, level: match[1]!.length, heading: match[2]! }] : [];
  });
  return headings.map((h, i) => {
    const end = headings.slice(i + 1).find((next) => next.level <= h.level)?.index ?? lines.length;
    return { heading: h.heading, body: lines.slice(h.index, end).join('\n') };
  });
}

/** Whether `markdown` has a table row for `path`: | `path` | type | default | example |. */
function hasRow(markdown: string, path: string): boolean {
  return markdown.split('\n').some((line) => {
    const cells = line.split(' | ');
    return line.startsWith(`| \`${path}\` |`) && cells.length === 4 && cells.every((c) => c.trim() !== '');
  });
}

const all = sections(doc);
const sectionFor = (...words: string[]): Section | undefined =>
  all.find((s) => words.every((w) => s.heading.includes(`\`${w}\``)));

describe('docs/configuration.md', () => {
  const keys = schemaKeys(configSchema);

  it('finds the keys of the schema (the walker works)', () => {
    const paths = keys.map((k) => k.path);
    for (const expected of [
      'hostname',
      'smtp.tls.implicit',
      'queue.retry.minBackoff',
      'relay.type',
      'relay.root',
      'eventLog.connectionString',
    ]) {
      assert.ok(paths.includes(expected), `walker missed ${expected}`);
    }
  });

  it('documents every key of the schema in a table row (type, default, example)', () => {
    const missing = keys
      .filter((k) => k.variant === undefined)
      .filter((k) => !hasRow(doc, k.path))
      .map((k) => k.path);
    assert.deepEqual(missing, [], `keys missing from docs/configuration.md: ${missing.join(', ')}`);
  });

  it('documents the keys of each relay and event-log type in that type’s section', () => {
    const missing = keys.flatMap((k) => {
      if (k.variant === undefined) return [];
      const section = sectionFor(k.variant.parent, k.variant.label);
      if (!section) return [`section "\`${k.variant.parent}\` — \`${k.variant.label}\`"`];
      return hasRow(section.body, k.path) ? [] : [`${k.path} (${k.variant.label})`];
    });
    assert.deepEqual(missing, [], `missing from docs/configuration.md: ${missing.join(', ')}`);
  });

  it('documents every policy and its options in its own section', () => {
    const missing = policyNames.flatMap((name) => {
      const section = sectionFor('policies', name);
      if (!section) return [`section "\`policies\` — \`${name}\`"`];
      return schemaKeys(policyOptionSchemas[name], name)
        .filter((k) => !hasRow(section.body, k.path))
        .map((k) => k.path);
    });
    assert.deepEqual(missing, [], `missing from docs/configuration.md: ${missing.join(', ')}`);
  });

  it('lists no key in its tables that the schema does not have', () => {
    const known = new Set([
      ...keys.map((k) => k.path),
      ...policyNames.flatMap((name) => schemaKeys(policyOptionSchemas[name], name).map((k) => k.path)),
    ]);
    const listed = [...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
    assert.ok(listed.length > 30, 'expected the doc to have key tables');
    const unknown = listed.filter((path) => !known.has(path));
    assert.deepEqual(unknown, [], `documented but not in the schema: ${unknown.join(', ')}`);
  });
});
