export * from './sqliteStorage.js';
