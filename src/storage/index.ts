export * from './sqliteStorage.js';
export * from './directoryLock.js';
export * from './storageFiles.js';
