/**
 * The spool: where message bodies live (bodies are files, not events; MessageReceived
 * carries bodyRef, size and sha256). See docs/spool.md for layout, fsync order, the envelope kept with each body and quarantine.
 * Barrel only: importing it has no side effects and cannot fail.
 */
export * from './spool.js';
export * from './spoolErrors.js';
export { BODIES_DIR, idForRef, isValidBodyId, refForId } from './bodyId.js';
export { openBody, READ_CHUNK, type OpenBodyOptions } from './bodyReader.js';
export { CrlfToLf } from './lineEndings.js';
export { DirSync, fsyncDir, type FsyncDir } from './dirSync.js';
export {
  encodeEnvelope,
  readEnvelopePrefix,
  sizeField,
  type SpooledEnvelope,
  type EnvelopePrefix,
  type EncodedEnvelope,
} from './spooledEnvelope.js';
