/**
 * One machine in one export format: `json` (Stately config), `mermaid`, `dot` or `svg`
 * (dot rendered by Graphviz). The single entry point for `machines export`, `history
 * --diagram` and docs/machines.md, so every output comes from the same code.
 */
import type { AnyStateMachine } from 'xstate';
import { toDot } from './dot.js';
import type { PathHighlight } from './historyPath.js';
import { machineGraph } from './machineGraph.js';
import { machineJson } from './machineJson.js';
import { toMermaid } from './mermaid.js';
import { renderSvg } from './svg.js';

export const exportFormats = ['json', 'mermaid', 'dot', 'svg'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** File extension per format (`message.mmd`, `message.dot`, …). */
export const extensionOf: Record<ExportFormat, string> = { json: 'json', mermaid: 'mmd', dot: 'dot', svg: 'svg' };

export function isExportFormat(value: string): value is ExportFormat {
  return (exportFormats as readonly string[]).includes(value);
}

export interface RenderOptions {
  readonly highlight?: PathHighlight;
  /** A title for DOT/SVG (the history's stream). */
  readonly title?: string;
  /** The Graphviz program for svg (default `dot`). */
  readonly dotCommand?: string;
}

/** The machine in `format`; svg may fail with GraphvizMissingError. */
export async function renderMachine(
  machine: AnyStateMachine,
  format: ExportFormat,
  options: RenderOptions = {},
): Promise<string> {
  if (format === 'json') return machineJson(machine);
  const graph = machineGraph(machine);
  if (format === 'mermaid') return toMermaid(graph, options.highlight);
  const dot = toDot(graph, options.highlight, options.title === undefined ? {} : { title: options.title });
  return format === 'dot'
    ? dot
    : renderSvg(dot, options.dotCommand === undefined ? {} : { command: options.dotCommand });
}
