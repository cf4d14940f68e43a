export * from './mailtrailError.js';
export * from './catalogue.js';
