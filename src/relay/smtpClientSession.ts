/**
 * One SMTP or LMTP client connection, over nodemailer's SMTPConnection, as promises:
 * open (connect, greeting, EHLO/LHLO, STARTTLS by policy, AUTH), send one transaction,
 * RSET, QUIT. It is the only module that knows nodemailer's internals: the extensions the
 * server offered (`_supportedExtensions`) and each LMTP per-recipient DATA reply (nodemailer
 * keeps only the failed ones). Open failures throw SessionFailure with a 4.x.x status;
 * a failure during send resolves with the error, and the session is then dead.
 */
import net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { LMTP_DEFAULTS, SMTP_RELAY_DEFAULTS } from './relayDefaults.js';
import { connectionFailureStatus, oneLine, replyStatus } from './replyStatus.js';

export type StartTlsPolicy = 'opportunistic' | 'required' | 'never';

export interface SessionOptions {
  /** A TCP next hop (host name or address, port) or a unix socket `path` (LMTP). */
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  readonly lmtp: boolean;
  /** Our name in EHLO/LHLO. */
  readonly helo: string;
  readonly starttls: StartTlsPolicy;
  readonly auth?: { readonly user: string; readonly pass: string };
  /** Extra TLS options (e.g. `ca`); 'opportunistic' does not verify the certificate. */
  readonly tls?: ConnectionOptions;
  /** Milliseconds for connecting, for the greeting and for any one reply. */
  readonly timeout: number;
}

/** Why a session could not be opened; `status` is 4.x.x (or 5.x.x for a 5xx greeting). */
export class SessionFailure extends Error {
  constructor(
    readonly outcome: 'transient' | 'permanent',
    readonly status: string,
    readonly reply: string,
  ) {
    super(reply);
  }
}

/** The envelope nodemailer fills in as the transaction goes: accepted, rejected, errors. */
export interface SmtpEnvelope {
  from: string;
  to: string[];
  use8BitMime?: boolean;
  size?: number;
  accepted?: string[];
  rejectedErrors?: SMTPConnection.SMTPError[];
}

export interface SendOutcome {
  readonly envelope: SmtpEnvelope;
  readonly error?: SMTPConnection.SMTPError;
  readonly info?: SMTPConnection.SentMessageInfo;
  /** LMTP: each accepted recipient's DATA reply. */
  readonly dataReplies: ReadonlyMap<string, string>;
}

type Internals = {
  upgrading?: boolean;
  _supportedExtensions?: string[];
  _actionLMTPStream?: (recipient: string, final: boolean, str: string, cb: unknown) => void;
};

export class ClientSession {
  readonly #conn: SMTPConnection;
  #dead = false;
  #pending: ((err: SMTPConnection.SMTPError) => void) | undefined;
  #dataReplies = new Map<string, string>();
  /** Transactions begun on this connection (a reused one is RSET first). */
  transactions = 0;

  private constructor(conn: SMTPConnection) {
    this.#conn = conn;
    conn.on('error', (err) => {
      // nodemailer reports a failed TLS handshake as a socket error; keep what it was.
      if ((conn as unknown as Internals).upgrading) err.code = 'ETLSHANDSHAKE';
      this.#fail(err);
    });
    conn.on('end', () => this.#fail(Object.assign(new Error('connection closed'), { code: 'ECONNECTION' })));
    const internals = conn as unknown as Internals;
    const original = internals._actionLMTPStream;
    if (original) {
      internals._actionLMTPStream = (recipient, final, str, cb) => {
        this.#dataReplies.set(recipient, str);
        original.call(conn, recipient, final, str, cb);
      };
    }
  }

  /** Connects, reads the greeting, says EHLO/LHLO, does STARTTLS and AUTH as configured. */
  static async open(options: SessionOptions): Promise<ClientSession> {
    let connection: net.Socket | undefined;
    try {
      if (options.path !== undefined) connection = await connectUnix(options.path, options.timeout);
    } catch (err) {
      throw openFailure(err);
    }
    const conn = new SMTPConnection({
      ...(options.host === undefined ? {} : { host: options.host }),
      port: options.port ?? (options.lmtp ? LMTP_DEFAULTS.port : SMTP_RELAY_DEFAULTS.port),
      ...(connection === undefined ? {} : { connection }),
      secure: false,
      lmtp: options.lmtp,
      name: options.helo,
      ignoreTLS: options.starttls === 'never',
      requireTLS: options.starttls === 'required',
      tls: { ...(options.starttls === 'opportunistic' ? { rejectUnauthorized: false } : {}), ...options.tls },
      connectionTimeout: options.timeout,
      greetingTimeout: options.timeout,
      socketTimeout: options.timeout,
      dnsTimeout: options.timeout,
      logger: false,
    });
    const session = new ClientSession(conn);
    try {
      await session.#call<void>((done) => conn.connect((err) => (err ? session.#fail(err) : done())));
      if (options.auth) {
        const credentials = { user: options.auth.user, pass: options.auth.pass };
        await session.#call<void>((done, fail) => conn.login({ credentials }, (err) => (err ? fail(err) : done())));
      }
    } catch (err) {
      session.close();
      throw openFailure(err);
    }
    return session;
  }

  get usable(): boolean {
    return !this.#dead;
  }

  /** The service extensions the server offered that nodemailer tracks (SMTPUTF8, 8BITMIME, …). */
  get extensions(): readonly string[] {
    return (this.#conn as unknown as Internals)._supportedExtensions ?? [];
  }

  /** The socket, to unref while the session idles in a pool. */
  get socket(): net.Socket | undefined {
    return (this.#conn as unknown as { _socket?: net.Socket })._socket || undefined;
  }

  /** One transaction; resolves with the outcome, a failure included, and never rejects. */
  async send(envelope: SmtpEnvelope, content: NodeJS.ReadableStream): Promise<SendOutcome> {
    this.transactions += 1;
    this.#dataReplies = new Map();
    try {
      const info = await this.#call<SMTPConnection.SentMessageInfo>((done, fail) =>
        this.#conn.send(envelope, content as Readable, (err, info) => (err ? fail(err) : done(info))),
      );
      return { envelope, info, dataReplies: this.#dataReplies };
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      const error = err as SMTPConnection.SMTPError;
      // A broken content stream leaves DATA unterminated: the connection cannot go on.
      if (error.code === 'ESTREAM') this.close();
      (content as Partial<Readable>).destroy?.();
      return { envelope, error, dataReplies: this.#dataReplies };
    }
  }

  /** RSET; false (and the session closed) when the server does not take it. */
  async reset(): Promise<boolean> {
    if (this.#dead) return false;
    try {
      await this.#call<void>((done, fail) => this.#conn.reset((err) => (err ? fail(err) : done())));
      return true;
    } catch {
      this.close();
      return false;
    }
  }

  /** QUIT, then close; never throws. */
  quit(): void {
    if (this.#dead) return;
    this.#dead = true;
    try {
      this.#conn.quit();
    } catch {
      this.#conn.close();
    }
    setTimeout(() => this.#conn.close(), 1000).unref();
  }

  close(): void {
    this.#dead = true;
    this.#conn.close();
  }

  /** Runs a callback-style nodemailer call, failing it if the connection fails meanwhile. */
  #call<T>(start: (done: (value: T) => void, fail: (err: SMTPConnection.SMTPError) => void) => void): Promise<T> {
    if (this.#dead)
      return Promise.reject(Object.assign(new Error('connection already closed'), { code: 'ECONNECTION' }));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (action: () => void): void => {
        if (settled) return;
        settled = true;
        this.#pending = undefined;
        action();
      };
      this.#pending = (err) => finish(() => reject(err));
      start(
        (value) => finish(() => resolve(value)),
        (err) => finish(() => reject(err)),
      );
    });
  }

  #fail(err: SMTPConnection.SMTPError): void {
    this.#dead = true;
    this.#pending?.(err);
  }
}

/** Connects to a unix socket, for nodemailer's `connection` option. */
function connectUnix(path: string, timeout: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path });
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' })),
      timeout,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** An open failure as a SessionFailure: the server's reply when there is one. */
function openFailure(err: unknown): SessionFailure {
  const error = err as SMTPConnection.SMTPError;
  const reply = typeof error?.response === 'string' ? error.response : undefined;
  const what = error?.code === 'EAUTH' ? 'authentication failed' : 'connection failed';
  if (error?.code === 'EAUTH') {
    // As Postfix's smtp_sasl_auth_soft_bounce: a refused login defers, whatever its code.
    return new SessionFailure('transient', '4.7.0', `${what}: ${oneLine(reply ?? error.message)}`);
  }
  if (error?.code === 'ETLSHANDSHAKE' || (error?.code === 'ETLS' && !/^[45]\d\d/.test(reply ?? ''))) {
    return new SessionFailure('transient', '4.7.5', `TLS handshake failed: ${oneLine(error.message)}`);
  }
  if (error?.code === 'ETLS' || /STARTTLS/.test(error?.message ?? '')) {
    return new SessionFailure('transient', '4.7.4', `STARTTLS failed: ${oneLine(error.message)}`);
  }
  if (reply !== undefined && /^[45]\d\d/.test(reply)) {
    const { outcome, status } = replyStatus(reply);
    return new SessionFailure(
      outcome === 'permanent' ? 'permanent' : 'transient',
      status,
      `${what}: ${oneLine(reply)}`,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SessionFailure('transient', connectionFailureStatus(err), `${what}: ${oneLine(message)}`);
}
