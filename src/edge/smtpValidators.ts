/**
 * Validators, as python-slimta's SmtpValidators: one instance per connection, one method per
 * hook smtp-server has (banner, tls, auth, mail, rcpt, data). Each receives the reply the
 * client is about to get and may change it — set `code` to 4xx/5xx (and `enhanced`, `message`)
 * to refuse. The base class accepts everything; the edge's built-in rules (relay domains,
 * mailboxes, safe local parts, EHLO name) run before these. Methods may be async.
 * smtp-server has no HELO/EHLO, RSET or QUIT hook: check `session.helo` in handleMail.
 */
import type { SmtpReply } from './smtpReply.js';

/** What a validator may know about the connection (a read-only snapshot per call). */
export interface ValidatorSession {
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Reverse DNS name of the client, when it resolved to a valid hostname. */
  readonly rdns?: string;
  /** The HELO/EHLO name (lower-cased), once given. */
  readonly helo?: string;
  readonly esmtp: boolean;
  readonly tls?: { readonly cipher?: string; readonly version?: string };
  readonly user?: string;
  /** The transaction in progress: sender ('' for <>) once MAIL was accepted, and recipients. */
  readonly sender?: string;
  readonly recipients: readonly string[];
  readonly smtputf8: boolean;
}

/** AUTH as the validator sees it: never the password. */
export interface ValidatorAuth {
  readonly method: string;
  readonly user: string;
}

type Hook = void | Promise<void>;

export class SmtpValidators {
  /** On connect; code >= 400 refuses the connection (the reply is sent, then it is closed). */
  handleBanner(_reply: SmtpReply, _session: ValidatorSession): Hook {}

  /** After a TLS handshake (STARTTLS or implicit); code >= 400 closes the connection. */
  handleTls(_reply: SmtpReply, _session: ValidatorSession): Hook {}

  /** After the credentials checked out; code >= 400 fails the AUTH. */
  handleAuth(_reply: SmtpReply, _session: ValidatorSession, _auth: ValidatorAuth): Hook {}

  /** MAIL FROM; `sender` is '' for the null sender <>. */
  handleMail(_reply: SmtpReply, _sender: string, _session: ValidatorSession): Hook {}

  /** RCPT TO, after the built-in relay/mailbox/local-part rules accepted it. */
  handleRcpt(_reply: SmtpReply, _recipient: string, _session: ValidatorSession): Hook {}

  /**
   * When DATA is accepted. smtp-server has no hook before its 354, so a refusal here is
   * sent after the client's final dot and the body is discarded, never queued.
   */
  handleData(_reply: SmtpReply, _session: ValidatorSession): Hook {}
}

export type SmtpValidatorsClass = new () => SmtpValidators;
