/**
 * docs/events.md and the events the machines really take agree: every event type of the
 * message and session machines (machines/events.catalogue.ts, typed against their event
 * unions) has a row with exactly its stored fields, `?` where a field may be absent, and no row
 * names a type or a field that does not exist; each machine handles exactly the listed types.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  messageEventFields,
  probeEventFields,
  sessionEventFields,
  type FieldPresence,
} from '../../machines/events.catalogue.js';
import { messageMachine } from '../../machines/message.machine.js';
import { smtpSessionMachine } from '../../machines/smtpSession.machine.js';

const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'events.md'), 'utf8');

/** The `## ` section whose heading starts with `title`. */
function section(title: string): string {
  const part = doc.split(/^(?=## )/m).find((p) => p.startsWith(`## ${title}`));
  assert.ok(part, `docs/events.md has no section "${title}"`);
  return part;
}

/** Top-level comma-separated items of a field list (commas inside [] {} () stay). */
function items(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list) {
    if ('[{('.includes(ch)) depth += 1;
    if (')}]'.includes(ch)) depth -= 1;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  return [...out, current].map((s) => s.trim()).filter(Boolean);
}

/** `name` → `required` | `optional` for each field the list names (`name?` is optional). */
function fieldsOf(list: string): Record<string, FieldPresence> {
  const fields: Record<string, FieldPresence> = {};
  for (const item of items(list)) {
    const m = /^(\w+)(?:\[[^\]]*\])?(\?)?/.exec(item);
    assert.ok(m, `cannot read the field "${item}"`);
    fields[m[1]!] = m[2] ? 'optional' : 'required';
  }
  return fields;
}

/** The rows of the `| event | data |` tables of a section: event type → documented fields. */
function documented(text: string): Map<string, Record<string, FieldPresence>> {
  const out = new Map<string, Record<string, FieldPresence>>();
  for (const line of text.split('\n')) {
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length < 2 || !cells[0]!.startsWith('`')) continue;
    const names = [...cells[0]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
    if (!/^[A-Z]/.test(names[0] ?? '')) continue;
    const lists = [...cells[1]!.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
    assert.ok(
      lists.length === 1 || lists.length === names.length,
      `${names.join(' / ')}: one field list, or one per event`,
    );
    names.forEach((name, i) => {
      assert.ok(!out.has(name), `${name} has two rows`);
      out.set(name, fieldsOf(lists[lists.length === 1 ? 0 : i]!));
    });
  }
  return out;
}

/** What the doc should show: the stored fields (an upcaster's are not written). */
const stored = (fields: Record<string, FieldPresence>): Record<string, FieldPresence> =>
  Object.fromEntries(Object.entries(fields).filter(([, p]) => p !== 'upcast'));

const cases = [
  { title: 'Message streams', tables: [messageEventFields] },
  { title: 'Session streams', tables: [sessionEventFields, probeEventFields] },
] as const;

describe('docs/events.md', () => {
  for (const { title, tables } of cases) {
    const rows = documented(section(title));
    const catalogue = Object.assign({}, ...tables) as Record<string, Record<string, FieldPresence>>;

    it(`${title}: a row for every event type, and none for a type that does not exist`, () => {
      assert.deepEqual([...rows.keys()].sort(), Object.keys(catalogue).sort());
    });

    for (const [type, fields] of Object.entries(catalogue)) {
      it(`${title}: ${type} is documented with exactly its fields`, () => {
        assert.deepEqual(
          rows.get(type),
          stored(fields),
          `docs/events.md, ${type}: documented vs machines/events.catalogue.ts`,
        );
      });
    }
  }

  it('the message machine handles exactly the catalogued message events', () => {
    assert.deepEqual([...messageMachine.events].sort(), Object.keys(messageEventFields).sort());
  });

  it('the session machine handles exactly the catalogued session events', () => {
    assert.deepEqual([...smtpSessionMachine.events].sort(), Object.keys(sessionEventFields).sort());
  });
});
