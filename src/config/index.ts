/**
 * The daemon's configuration: loadConfig / parseConfig / defaultConfig produce a resolved
 * Config (see config.ts); the zod schemas are exported for documentation and tooling.
 * Failures are ConfigError (src/errors) naming the file and the key.
 */
export * from './config.js';
export * from './loadConfig.js';
export { configSchema, type ConfigInput, type ParsedConfig } from './configSchema.js';
export { relaySchema, type RelayConfig, type RelayType } from './relaySchema.js';
export { policyNames, policyOptionSchemas, type PolicyConfig, type PolicyName } from './policySchema.js';
export { parseDuration, durationSchema, DURATION_EXPECTED } from './duration.js';
export { parseListenAddress, type ListenAddress } from './listenAddress.js';
export { checkRelayPrograms, findProgram } from './relayPrograms.js';
export { checkTlsFiles } from './tlsFiles.js';
