/**
 * The daemon's local control socket: ControlServer (daemon side), sendControl (CLI side) and
 * the line protocol between them. Barrel only: importing it has no side effects.
 */
export * from './protocol.js';
export * from './controlServer.js';
export * from './controlClient.js';
