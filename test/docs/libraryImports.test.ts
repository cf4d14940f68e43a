/**
 * What the docs import from 'mailtrail' is what the package exports (src/index.ts): every name
 * in an `import { … } from 'mailtrail'` of README.md or docs/*.md is an export. A doc that shows
 * an import the package does not have fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import * as mailtrail from '../../src/index.js';

const root = join(import.meta.dirname, '..', '..');
const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];

it("every name the docs import from 'mailtrail' is exported by src/index.ts", () => {
  const exported = new Set(Object.keys(mailtrail));
  const missing: string[] = [];
  let names = 0;
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/import\s*(type\s*)?\{([^}]*)\}\s*from\s*['"]mailtrail['"]/g)) {
      if (m[1]) continue; // types are erased: checked by the type-checked example instead
      for (const raw of m[2]!.split(',')) {
        const name = raw
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)[0]!;
        if (!name || raw.trim().startsWith('type ')) continue;
        names += 1;
        if (!exported.has(name)) missing.push(`${file}: ${name}`);
      }
    }
  }
  assert.ok(names >= 10, `found only ${names} imported names: is the scan broken?`);
  assert.deepEqual(missing, []);
});
