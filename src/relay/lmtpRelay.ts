/**
 * The LMTP relay (RFC 2033): hands each message to one LMTP server, e.g. Dovecot's lmtp,
 * over TCP (`host`, `port`, default 24) or a unix socket (`socket`). One transaction for
 * all recipients of a request: each RCPT reply decides its recipient, and after DATA the
 * server answers once per accepted recipient, so one mailbox over quota fails alone.
 * Connection failures defer (4.4.1, timeouts 4.4.2). The connection is kept for the next
 * request a few seconds (sessionPool.ts). One result per recipient, in order; no throws.
 */
import type { DeliveryRequest, RecipientResult, Relay } from './relay.js';
import { LMTP_DEFAULTS } from './relayDefaults.js';
import { SessionPool, type SessionPoolOptions } from './sessionPool.js';
import type { SessionOptions, StartTlsPolicy } from './smtpClientSession.js';
import { attemptDelivery, contentHas8Bit, unique } from './smtpTransaction.js';

export type LmtpDestination = { readonly host: string; readonly port?: number } | { readonly socket: string };

export type LmtpRelayOptions = LmtpDestination & {
  /** Our name in LHLO. */
  readonly helo: string;
  /** Milliseconds for connecting and for each reply (default 300000). */
  readonly timeout?: number;
  /** STARTTLS over TCP: never by default (a local LMTP server). */
  readonly starttls?: StartTlsPolicy;
  readonly pool?: SessionPoolOptions;
};

export class LmtpRelay implements Relay {
  readonly name = 'lmtp';
  readonly #session: SessionOptions;
  readonly #destination: string;
  readonly #pool: SessionPool;

  constructor(options: LmtpRelayOptions) {
    const common = {
      lmtp: true,
      helo: options.helo,
      timeout: options.timeout ?? LMTP_DEFAULTS.timeout,
      starttls: options.starttls ?? LMTP_DEFAULTS.starttls,
    } as const;
    if ('socket' in options) {
      this.#session = { ...common, path: options.socket, starttls: 'never' };
      this.#destination = `unix:${options.socket}`;
    } else {
      const port = options.port ?? LMTP_DEFAULTS.port;
      this.#session = { ...common, host: options.host, port };
      this.#destination = `${options.host}:${port}`;
    }
    this.#pool = new SessionPool(options.pool);
  }

  async deliver(request: DeliveryRequest): Promise<RecipientResult[]> {
    const recipients = unique(request.recipients);
    if (recipients.length === 0) return [];
    let eightBit: boolean;
    try {
      eightBit = await contentHas8Bit(request);
    } catch (err) {
      const reply = `error reading message: ${err instanceof Error ? err.message : String(err)}`;
      return request.recipients.map((recipient) => ({ recipient, outcome: 'transient', status: '4.3.0', reply }));
    }
    const attempt = await attemptDelivery(this.#pool, this.#destination, this.#session, request, recipients, eightBit);
    if (!attempt.ok) {
      const { outcome, status, reply } = attempt.failure;
      return request.recipients.map((recipient) => ({
        recipient,
        outcome,
        status,
        reply: `${this.#destination}: ${reply}`,
      }));
    }
    const byRecipient = new Map(attempt.results.map((result) => [result.recipient, result]));
    return request.recipients.map((recipient) => byRecipient.get(recipient)!);
  }

  async close(): Promise<void> {
    this.#pool.close();
  }
}
