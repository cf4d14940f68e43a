#!/usr/bin/env node
// The mailtrail command line. The TypeScript is compiled to dist/ by `npm install` / `npm ci`
// (the package's `prepare` script); this file only loads it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'mailtrail: dist/ is missing; run `npm install` (or `npm run build`) in the mailtrail directory first\n',
  );
  process.exit(70);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
