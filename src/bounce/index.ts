export * from './deliveryStatus.js';
export * from './dsn.js';
