export * from './relay.js';
export * from './errnoStatus.js';
export * from './maildirName.js';
export * from './maildirPath.js';
export * from './maildirRelay.js';
export * from './blackholeRelay.js';
