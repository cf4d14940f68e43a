/**
 * The SMTP edge (src/edge): SmtpEdge in front of the queue, slimta-style SmtpValidators,
 * the reply catalogue and the smtp-server seam that lets a reply choose its enhanced code.
 * See docs/smtp.md.
 */
export { SmtpEdge, SMTP_EDGE_DEFAULTS, type SmtpEdgeOptions, type SmtpEdgeExtras } from './smtpEdge.js';
export { ListenError } from './listenError.js';
export {
  SmtpValidators,
  type SmtpValidatorsClass,
  type ValidatorSession,
  type ValidatorAuth,
} from './smtpValidators.js';
export { type SmtpReply, replies, replyLine } from './smtpReply.js';
export type { AuthOptions } from './sessionHandlers.js';
export { BuiltinRules, isUnsafeLocalPart, isValidHeloName } from './builtinRules.js';
export { EdgeSMTPServer, EdgeSMTPConnection, type ReplyHooks } from './edgeConnection.js';
export { SessionRecorder, SMTP_SESSION_IDENTITY } from './sessionRecorder.js';
export { sessionStream, probesStream } from '../mail/streamNames.js';
