export * from './eventSourcedActor.js';
