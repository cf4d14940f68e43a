/**
 * The smtpSession machine's context: who is connected, what they said, and the envelope of
 * the transaction in progress. Pure data; the runtime's edge fills it through events only.
 */
import type { ReceivedProtocol } from './message.events.js';

export interface SmtpSessionContext {
  readonly sessionId: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly rdns?: string;
  readonly helo?: string;
  readonly esmtp: boolean;
  readonly tls?: { readonly cipher?: string; readonly version?: string };
  readonly user?: string;
  readonly authFailures: number;
  /** The transaction in progress: null outside MAIL … DATA. */
  readonly sender: string | null;
  readonly smtputf8: boolean;
  readonly recipients: readonly string[];
  readonly refusedRecipients: number;
  /** Messages accepted in this session, by queue id. */
  readonly messages: readonly string[];
  readonly refusals: number;
  readonly connectedAt: string;
  readonly closedReason?: string;
}

export const emptySessionContext: SmtpSessionContext = {
  sessionId: '',
  remoteAddress: '',
  remotePort: 0,
  esmtp: false,
  authFailures: 0,
  sender: null,
  smtputf8: false,
  recipients: [],
  refusedRecipients: 0,
  messages: [],
  refusals: 0,
  connectedAt: '',
};

/** The transaction fields cleared by RSET, a new EHLO, or the end of DATA. */
export const clearedTransaction = {
  sender: null,
  smtputf8: false,
  recipients: [] as readonly string[],
  refusedRecipients: 0,
} satisfies Partial<SmtpSessionContext>;

/** The protocol name for a Received header (RFC 3848) from what the session did. */
export function receivedProtocol(c: SmtpSessionContext): ReceivedProtocol {
  if (!c.smtputf8 && !c.esmtp) return 'SMTP';
  const base = c.smtputf8 ? 'UTF8SMTP' : 'ESMTP';
  return `${base}${c.tls ? 'S' : ''}${c.user ? 'A' : ''}`;
}
