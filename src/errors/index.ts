export * from './mailtrailError.js';
