/**
 * mailtrail as a library: the public API, named the way python-slimta's MDA tutorial reads —
 * a relay, a queue on a storage, policies, an SMTP edge with validators, privilege drop.
 * See docs/library.md and examples/mda.ts. Everything else under src/ is internal.
 */

// Step 1: relays
export type { Relay, RecipientResult, DeliveryRequest } from './relay/relay.js';
export { MaildirRelay, type MaildirRelayOptions } from './relay/maildirRelay.js';
export { MaildropRelay } from './relay/maildropRelay.js';
export { DovecotLdaRelay } from './relay/dovecotLdaRelay.js';
export { PipeRelay } from './relay/commandPipeRelay.js';
export { SmtpRelay, type SmtpRelayOptions } from './relay/smtpRelay.js';
export { LmtpRelay } from './relay/lmtpRelay.js';
export { BlackholeRelay } from './relay/blackholeRelay.js';
export { sysExitStatus, SYS_EXITS } from './relay/sysExits.js';

// Step 2: the queue on a storage
export { SqliteStorage } from './storage/sqliteStorage.js';
export { DirectoryLockedError } from './storage/directoryLock.js';
export type { OwnedFiles } from './storage/storageFiles.js';
export {
  Queue,
  type QueueOptions,
  type QueueStorage,
  type QueueExtraOptions,
  type EnqueueInput,
  UnknownMessageError,
} from './queue/queue.js';
export { Router, type RouterOptions } from './queue/router.js';
export type { Envelope, QueuedMessage, ClientInfo } from './mail/envelope.js';
export { type RetryPolicy, defaultRetryPolicy, backoffDelay, retryDelay } from './queue/backoff.js';

// Step 3: policies
export type { PrequeuePolicy, RelayPolicy, PolicyContext, PolicyEffect } from './policies/policy.js';
export { AddDateHeader, AddMessageIdHeader, AddReceivedHeader } from './policies/headerPolicies.js';
export { SpamAssassin } from './policies/spamAssassin.js';
export { Forward } from './policies/forward.js';
export { RecipientSplit, RecipientDomainSplit } from './policies/recipientSplit.js';

// Step 4: the SMTP edge
export {
  SmtpEdge,
  type SmtpEdgeOptions,
  type SmtpEdgeExtras,
  SmtpValidators,
  type ValidatorSession,
  type SmtpReply,
} from './edge/index.js';

// Step 5: running as a daemon
export { dropPrivileges, NotWritableError, type DropFiles } from './daemon/privileges.js';
export { Daemon } from './daemon/daemon.js';
export { loadConfig, parseConfig, defaultConfig, type Config } from './config/index.js';
export { createLogger, type Logger } from './logging/logger.js';

// The event log and the machines underneath
export type { EventLog, EventData, RecordedEvent, ExpectedRevision } from './eventlog/eventLog.js';
export { ExpectedRevisionConflictError } from './eventlog/eventLog.js';
export { SqliteEventLog } from './eventlog/sqlite/sqliteEventLog.js';
export { MemoryEventLog } from './eventlog/memory/memoryEventLog.js';
export { PostgresEventLog, EventLogLockedError } from './eventlog/postgres/index.js';
export { KurrentdbEventLog } from './eventlog/kurrentdb/index.js';
export { Spool } from './spool/spool.js';
export { messageMachine, MESSAGE_MACHINE_VERSION } from '../machines/message.machine.js';
export { smtpSessionMachine, SMTP_SESSION_MACHINE_VERSION } from '../machines/smtpSession.machine.js';
export type { MessageEvent } from '../machines/message.events.js';
export type { SmtpSessionEvent } from '../machines/smtpSession.events.js';
export { replay, replayEvents } from './replay/replay.js';
export { EventSourcedActor } from './runtime/eventSourcedActor.js';

// Errors
export {
  MailtrailError,
  TransientError,
  PermanentError,
  ConfigError,
  InvariantError,
} from './errors/mailtrailError.js';
