export * from './eventLog.js';
