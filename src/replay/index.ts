export * from './eventShape.js';
export * from './replay.js';
export * from './stateName.js';
export * from './upcasters.js';
export * from './eventNotAcceptedError.js';
export * from './historyName.js';
