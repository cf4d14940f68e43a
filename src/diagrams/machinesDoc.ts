/**
 * docs/machines.md keeps one ```mermaid block per machine, each right after a marker line
 * `<!-- diagram: NAME -->`. `updateMachinesDoc` rewrites those blocks from the machines
 * (the same toMermaid as `machines export --format mermaid`); the doc test fails when the
 * file differs from that, and writeMachinesDoc.ts writes it. A missing marker is an error.
 */
import { exportedMachines } from './exportedMachines.js';
import { machineGraph } from './machineGraph.js';
import { toMermaid } from './mermaid.js';

export const MACHINES_DOC_COMMAND = 'node --import tsx src/diagrams/writeMachinesDoc.ts';

/** The fenced block written for one machine, marker line included. */
export function diagramBlock(name: string, mermaid: string): string {
  return `<!-- diagram: ${name} -->\n\`\`\`mermaid\n${mermaid}\`\`\`\n`;
}

/** Each machine's name and its fenced Mermaid block. */
export function machineDiagramBlocks(): { name: string; block: string }[] {
  return exportedMachines.map(({ name, machine }) => ({
    name,
    block: diagramBlock(name, toMermaid(machineGraph(machine))),
  }));
}

/** The doc with every diagram block regenerated; throws if a machine's marker is missing. */
export function updateMachinesDoc(markdown: string): string {
  let out = markdown;
  for (const { name, block } of machineDiagramBlocks()) {
    const pattern = new RegExp(`<!-- diagram: ${name} -->\\n\`\`\`mermaid\\n[\\s\\S]*?\`\`\`\\n`);
    if (!pattern.test(out))
      throw new Error(`docs/machines.md has no "<!-- diagram: ${name} -->" marker followed by a \`\`\`mermaid block`);
    out = out.replace(pattern, () => block);
  }
  return out;
}
