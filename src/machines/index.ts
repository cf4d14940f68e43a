/**
 * The machine-export barrel: the graph model walked from a machine definition, and its
 * writers (Stately JSON, Mermaid, DOT, SVG through Graphviz), history paths and the doc.
 */
export * from './machineGraph.js';
export * from './machineJson.js';
export * from './mermaid.js';
export * from './dot.js';
export * from './svg.js';
export * from './historyPath.js';
export * from './historyDiagram.js';
export * from './exportFormats.js';
export * from './exportedMachines.js';
export * from './machinesDoc.js';
