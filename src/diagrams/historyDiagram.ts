/**
 * `history <id> --diagram`: a history's machine drawn with the path it took highlighted.
 * Input: a History from the log (its kind picks the machine, each entry's `state` is the
 * event's metadata.state). Output: Mermaid (default), DOT or SVG text.
 */
import type { History } from '../replay/history.js';
import { machineForHistory } from './exportedMachines.js';
import { type ExportFormat, renderMachine } from './exportFormats.js';
import { historyPath, type PathHighlight } from './historyPath.js';
import { machineGraph } from './machineGraph.js';

export function pathOfHistory(history: History): PathHighlight {
  const { machine } = machineForHistory(history.kind);
  return historyPath(machineGraph(machine), history.entries);
}

export function historyDiagram(
  history: History,
  format: Exclude<ExportFormat, 'json'> = 'mermaid',
  dotCommand?: string,
): Promise<string> {
  const { machine } = machineForHistory(history.kind);
  return renderMachine(machine, format, {
    highlight: pathOfHistory(history),
    title: history.stream,
    ...(dotCommand ? { dotCommand } : {}),
  });
}
