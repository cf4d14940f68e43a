/**
 * The one seam where the edge changes smtp-server's behaviour, written so it could go
 * upstream: EdgeSMTPServer builds EdgeSMTPConnection instead of SMTPConnection, whose `send`
 *  1. takes the enhanced status code from the reply text when the text starts with one whose
 *     class matches the reply code (`err.message = '5.7.1 <a>: Relay access denied'`), so a
 *     callback can choose it and the line carries it once (upstream inserts its own, from a
 *     fixed table, in front: `550 5.1.1 5.7.1 …`); a context that is itself a code is used as is;
 *  2. replaces the 220 greeting text per session (slimta's banner validator);
 *  3. counts error replies and closes with 421 once `hardErrorLimit` is reached, as Postfix's
 *     smtpd_hard_error_limit (452 4.5.3 "too many recipients" does not count, as Postfix's
 *     recipient overshoot; a queued message resets the count);
 *  4. reports every reply line to `onReply` (the edge derives the close reason from it);
 *  5. keeps two deadlines that trickled bytes do not extend (smtp-server's idle timeout restarts
 *     on every byte): `commandTimeout` for a whole command line, counted from the moment the
 *     server waits for it, and `dataTimeout` for the whole DATA phase, from 354 to the final
 *     dot. Time the server spends deciding is not counted. Past either: 421 4.4.2, closed.
 *  6. leaves AUTH out of the EHLO reply while STARTTLS is on offer and insecure AUTH is not
 *     allowed (smtp-server then refuses AUTH with 538, but would still advertise it);
 *  7. takes each connection's session id from `sessionId` (time-ordered: mail/sessionId.ts).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import { isEnhancedStatus, splitLeadingStatus } from '../mail/enhancedStatus.js';
import { replies } from './smtpReply.js';

export interface ReplyHooks {
  /** Error replies (4xx/5xx) a session may collect before it is closed with 421 4.7.0. */
  readonly hardErrorLimit?: number;
  /** Milliseconds before the 220 greeting (smtp-server's early-talker check waits 100). */
  readonly greetDelay?: number;
  /** The text of the 220 greeting for this session; undefined keeps smtp-server's. */
  greeting?(session: SMTPServerSession): string | undefined;
  /** Every reply written to the client (`enhanced` is '' when the line has none). */
  onReply?(session: SMTPServerSession, code: number, enhanced: string, text: string): void;
  /** Milliseconds a client has to send one whole command line once the server waits for it. */
  readonly commandTimeout?: number;
  /** Milliseconds a client has for the whole message, from 354 to the final dot. */
  readonly dataTimeout?: number;
  /** Each connection's session id (smtp-server draws a random one when absent). */
  sessionId?(): string;
}

type DeadlineKind = 'command' | 'data';

export class EdgeSMTPConnection extends SMTPConnection {
  private greeted = false;
  private errorReplies = 0;
  private deadline: NodeJS.Timeout | undefined;
  private deadlineKind: DeadlineKind | undefined;

  private get hooks(): ReplyHooks {
    return (this._server as EdgeSMTPServer).hooks;
  }

  /**
   * As smtp-server's init(), with the delay before the greeting configurable instead of a
   * fixed 100 ms (upstream: a `greetDelay` option). A client that talks before the greeting is
   * still refused by smtp-server's own early-talker check.
   */
  override init(): void {
    this.armDeadline('command');
    this._socket.once('close', () => this.clearDeadline());
    const delay = this.hooks.greetDelay;
    if (delay === undefined || delay === 100) {
      super.init();
      return;
    }
    this._setListeners(() => {
      if (this._server.options.maxClients && this._server.connections.size > this._server.options.maxClients) {
        this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
        return;
      }
      setTimeout(() => this.connectionReady(), delay).unref();
    });
  }

  /** A command line arrived: its deadline is met; the next one starts when the server waits again. */
  override _onCommand(command: Buffer, callback?: () => void): void {
    this.clearDeadline();
    super._onCommand(command, () => {
      this.armDeadline(this.inDataMode() ? 'data' : 'command');
      callback?.();
    });
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    // The reply to a message ends the DATA phase: the client now owes the next command.
    if (this.deadlineKind === 'data' && !this.inDataMode() && !this._dataStream) this.armDeadline('command');
    let text = data;
    let ctx = context;
    if (typeof data === 'string' && context !== false) {
      const lead = splitLeadingStatus(data);
      if (lead && lead.status[0] === String(code)[0]) {
        ctx = lead.status;
        text = lead.rest;
      }
    }
    // AUTH only on a protected session (Postfix smtpd_tls_auth_only): not in EHLO while STARTTLS is still to come.
    if (code === 250 && Array.isArray(text) && !this.authMayBeOffered())
      text = text.filter((line) => !/^AUTH\b/i.test(line));
    if (code === 220 && !this.greeted) {
      this.greeted = true;
      text = this.hooks.greeting?.(this.session) ?? text;
    }
    const enhanced = this._getEnhancedStatusCode(code, ctx);
    super.send(code, text, ctx);
    if (typeof text === 'string' || text == null) this.hooks.onReply?.(this.session, code, enhanced, text ?? '');
    else this.hooks.onReply?.(this.session, code, enhanced, text.join('\n'));
    if (context === 'DATA_OK') this.errorReplies = 0;
    if (code >= 400 && code !== 421 && !(code === 452 && enhanced === '4.5.3')) this.countError();
  }

  override _getEnhancedStatusCode(code: number, context?: string | false): string {
    if (typeof context === 'string' && isEnhancedStatus(context)) return this._useEnhancedStatusCodes() ? context : '';
    return super._getEnhancedStatusCode(code, context);
  }

  /** AUTH is offered once TLS is up, or when no STARTTLS is on offer, or when insecure AUTH is allowed. */
  private authMayBeOffered(): boolean {
    const options = this._server.options;
    return (
      this.secure ||
      Boolean(options.allowInsecureAuth) ||
      Boolean(options.hideSTARTTLS) ||
      !this._isSupported('STARTTLS')
    );
  }

  private inDataMode(): boolean {
    // biome-ignore lint/complexity/useOptionalChain: _parser is `false` before the connection starts, not undefined.
    return Boolean(this._parser && this._parser._dataMode);
  }

  private armDeadline(kind: DeadlineKind): void {
    this.clearDeadline();
    const ms = kind === 'data' ? this.hooks.dataTimeout : this.hooks.commandTimeout;
    if (!ms || this._closing || this._closed) return;
    this.deadlineKind = kind;
    this.deadline = setTimeout(() => this.onDeadline(kind), ms);
    this.deadline.unref();
  }

  private clearDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
    this.deadlineKind = undefined;
  }

  /** The deadline passed: close unless the server is the one who owes the next step. */
  private onDeadline(kind: DeadlineKind): void {
    this.deadline = undefined;
    if (this._closing || this._closed) return;
    const data = this.inDataMode();
    const serverOwes = kind === 'data' ? !data : this._handlerPending || (Boolean(this._dataStream) && !data);
    if (serverOwes) return this.armDeadline(kind);
    const reply = replies.timeoutExceeded(this.name);
    this.send(reply.code, reply.message, reply.enhanced);
    // close() only ends our side; a client that keeps trickling would keep the socket (and
    // the message stream) until smtp-server's half-close deadline. Drop it once the 421 is out.
    const socket = this._socket;
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  }

  private countError(): void {
    this.errorReplies += 1;
    const limit = this.hooks.hardErrorLimit;
    if (limit && this.errorReplies >= limit && !this._closing && !this._closed) {
      const reply = replies.tooManyErrors(this.name);
      this.send(reply.code, reply.message, reply.enhanced);
    }
  }
}

/** SMTPServer whose connections are EdgeSMTPConnections; `hooks` configures them. */
export class EdgeSMTPServer extends SMTPServer {
  readonly hooks: ReplyHooks;

  constructor(options: SMTPServerOptions, hooks: ReplyHooks) {
    super(options);
    this.hooks = hooks;
  }

  /** As SMTPServer.connect, with the connection class swapped (upstream: a `Connection` option). */
  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const id = this.hooks.sessionId?.();
    const connection = new EdgeSMTPConnection(this, socket, id ? { ...socketOptions, id } : socketOptions);
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (data) => this._onClientConnect(data));
    connection.init();
  }
}
