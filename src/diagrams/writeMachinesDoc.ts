/**
 * Regenerates the Mermaid diagrams in docs/machines.md from the machines:
 * `node --import tsx src/diagrams/writeMachinesDoc.ts [FILE]` (default docs/machines.md,
 * relative to the working directory). Prints whether the file changed; the prose is kept.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { updateMachinesDoc } from './machinesDoc.js';

const file = process.argv[2] ?? 'docs/machines.md';
const before = readFileSync(file, 'utf8');
const after = updateMachinesDoc(before);
if (after === before) {
  process.stdout.write(`${file}: diagrams already up to date\n`);
} else {
  writeFileSync(file, after);
  process.stdout.write(`${file}: diagrams regenerated\n`);
}
