export { InspectorRelay, RELAY_HOST, DEFAULT_INSPECT_PORT, type InspectorRelayOptions, type RelayAddress } from './inspectorRelay.js';
export { InspectorClient, type InspectorClientOptions } from './inspectorClient.js';
export { DaemonInspector, type InspectOptions } from './daemonInspector.js';
export { createSanitizer, maskAddress, type AddressMode } from './sanitize.js';
export { RetainedActors, parseReport, DEFAULT_RETENTION, type RetentionLimits, type ReportMessage } from './retainedActors.js';
export { loadStoredHistory, replayInto, replayMessageMachine, replaySessionMachine, type StoredHistory } from './historyReplay.js';
export { readAnnouncement, writeAnnouncement, removeAnnouncement, announcementPath, type Announcement } from './announcement.js';
