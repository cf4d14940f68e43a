/**
 * The events of one SMTP connection, stored in its `session-<id>` stream and sent to the
 * smtpSession machine. smtp-server has no HELO/EHLO, RSET or QUIT hook, so ClientGreeted is
 * recorded when MAIL arrives (with the name the client gave) and SessionReset when a new MAIL
 * follows an unfinished transaction. Time arrives as data (`at`).
 */

export interface SessionConnected {
  readonly type: 'SessionConnected';
  readonly sessionId: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly rdns?: string;
  readonly at: string;
}

export interface ClientGreeted {
  readonly type: 'ClientGreeted';
  readonly helo: string;
  readonly esmtp: boolean;
  readonly at: string;
}

export interface TlsStarted {
  readonly type: 'TlsStarted';
  readonly cipher?: string;
  readonly version?: string;
  readonly at: string;
}

export interface AuthSucceeded {
  readonly type: 'AuthSucceeded';
  readonly user: string;
  readonly method: string;
  readonly at: string;
}

export interface AuthFailed {
  readonly type: 'AuthFailed';
  readonly user?: string;
  readonly method: string;
  readonly reply: string;
  readonly at: string;
}

export interface MailFromAccepted {
  readonly type: 'MailFromAccepted';
  /** '' for <>. */
  readonly sender: string;
  readonly size?: number;
  readonly smtputf8?: boolean;
  readonly at: string;
}

export interface MailFromRefused {
  readonly type: 'MailFromRefused';
  readonly sender: string;
  readonly reply: string;
  readonly at: string;
}

export interface RecipientAccepted {
  readonly type: 'RecipientAccepted';
  readonly recipient: string;
  readonly at: string;
}

export interface RecipientRefused {
  readonly type: 'RecipientRefused';
  readonly recipient: string;
  readonly reply: string;
  readonly at: string;
}

export interface MessageAccepted {
  readonly type: 'MessageAccepted';
  readonly messageId: string;
  readonly size: number;
  readonly at: string;
}

export interface MessageRefused {
  readonly type: 'MessageRefused';
  readonly reply: string;
  readonly at: string;
}

export interface SessionReset {
  readonly type: 'SessionReset';
  readonly at: string;
}

export interface SessionClosed {
  readonly type: 'SessionClosed';
  readonly reason: 'quit' | 'timeout' | 'error' | 'shutdown' | 'limit' | 'disconnect';
  readonly at: string;
}

export type SmtpSessionEvent =
  | SessionConnected
  | ClientGreeted
  | TlsStarted
  | AuthSucceeded
  | AuthFailed
  | MailFromAccepted
  | MailFromRefused
  | RecipientAccepted
  | RecipientRefused
  | MessageAccepted
  | MessageRefused
  | SessionReset
  | SessionClosed;

export type SmtpSessionEventType = SmtpSessionEvent['type'];

/**
 * Not a machine event: one record, in a daily `probes-<yyyy-mm-dd>` stream, for a connection
 * that closed before MAIL (scanners, monitoring probes), instead of a stream per probe.
 */
export interface SessionProbed {
  readonly type: 'SessionProbed';
  readonly sessionId: string;
  readonly remoteAddress: string;
  readonly helo?: string;
  readonly tls: boolean;
  readonly authFailures: number;
  readonly reason: SessionClosed['reason'];
  readonly connectedAt: string;
  readonly at: string;
}
