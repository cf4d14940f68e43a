/**
 * `mailtrail machines export [--format json|mermaid|dot|svg] [--out DIR] [--machine NAME]`:
 * the definitions of the message and SMTP-session machines. Without --out they go to stdout
 * (json: one object keyed by machine name; mermaid/dot: one diagram after the other); with
 * --out, `DIR/message.<ext>` and `DIR/smtpSession.<ext>`. svg needs Graphviz's `dot`: when it
 * is missing, one line says so and the exit code is 69 (EX_UNAVAILABLE).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportedMachines, type ExportedMachine } from '../diagrams/exportedMachines.js';
import {
  extensionOf,
  exportFormats,
  isExportFormat,
  renderMachine,
  type ExportFormat,
} from '../diagrams/exportFormats.js';
import { machineConfigJson } from '../diagrams/machineJson.js';
import { GraphvizMissingError } from '../diagrams/svg.js';
import { UsageError } from './openLog.js';

const USAGE = `usage: mailtrail machines export [--format ${exportFormats.join('|')}] [--out DIR] [--machine ${exportedMachines.map((m) => m.name).join('|')}]`;

function selectMachines(name: string | undefined): readonly ExportedMachine[] {
  if (name === undefined) return exportedMachines;
  const found = exportedMachines.filter((m) => m.name === name);
  if (found.length === 0) throw new UsageError(`unknown machine "${name}"\n${USAGE}`);
  return found;
}

async function toStdout(machines: readonly ExportedMachine[], format: ExportFormat): Promise<void> {
  if (format === 'json' && machines.length > 1) {
    const all = Object.fromEntries(machines.map((m) => [m.name, machineConfigJson(m.machine)]));
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    return;
  }
  const texts = await Promise.all(machines.map((m) => renderMachine(m.machine, format)));
  process.stdout.write(texts.join('\n'));
}

async function toDirectory(machines: readonly ExportedMachine[], format: ExportFormat, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const m of machines) {
    const file = join(dir, `${m.name}.${extensionOf[format]}`);
    await writeFile(file, await renderMachine(m.machine, format));
    process.stdout.write(`wrote ${file}\n`);
  }
}

export const options = {
  format: { type: 'string', short: 'f', default: 'json' },
  out: { type: 'string', short: 'o' },
  machine: { type: 'string', short: 'm' },
} as const;

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  if (positionals[0] !== 'export' || positionals.length > 1) throw new UsageError(USAGE);
  const format = values.format;
  if (!isExportFormat(format)) throw new UsageError(`unknown format "${format}"\n${USAGE}`);
  const machines = selectMachines(values.machine);
  if (format === 'svg' && values.out === undefined && machines.length > 1) {
    throw new UsageError(`svg writes one file per machine: give --out DIR (or --machine NAME for stdout)\n${USAGE}`);
  }
  try {
    if (values.out === undefined) await toStdout(machines, format);
    else await toDirectory(machines, format, values.out);
    return 0;
  } catch (err) {
    if (!(err instanceof GraphvizMissingError)) throw err;
    process.stderr.write(`mailtrail machines: ${err.message}\n`);
    return 69;
  }
}
