export * from './policy.js';
export * from './headerBlock.js';
export * from './addDateHeader.js';
export * from './addMessageIdHeader.js';
export * from './addReceivedHeader.js';
