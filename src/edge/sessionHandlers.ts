/**
 * smtp-server's hooks (onConnect, onSecure, onAuth, onMailFrom, onRcptTo, onData, onClose)
 * for the edge: each builds the reply the client would get, lets the built-in rules and then
 * the session's validators change it, answers smtp-server, and records what happened in the
 * session's recorder (fired, not awaited). A throwing validator or a failing log is logged
 * and answered with a 4xx; no exception reaches smtp-server or the client.
 */
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerDataStream,
  SMTPServerSession,
} from 'smtp-server';
import type { SessionClosed } from '../../machines/smtpSession.events.js';
import type { AppendFailure } from '../eventlog/appendHealth.js';
import type { EventLog } from '../eventlog/eventLog.js';
import type { Queue } from '../queue/queue.js';
import type { BuiltinRules } from './builtinRules.js';
import type { ClientLimits } from './clientLimits.js';
import { receiveMessage } from './dataReceiver.js';
import { SessionRecorder } from './sessionRecorder.js';
import { clientOf, envelopeOf, heloOf, isEsmtp, rdnsOf, tlsOf, validatorSession } from './sessionView.js';
import {
  type SmtpReply,
  accepted,
  isRefusal,
  normalizeReply,
  replies,
  replyLine,
  toSmtpServerError,
} from './smtpReply.js';
import type { SmtpValidators, ValidatorSession } from './smtpValidators.js';

type Cb = (err?: Error | null) => void;

export interface AuthOptions {
  /** SASL mechanisms offered; default PLAIN and LOGIN. */
  readonly methods?: readonly ('PLAIN' | 'LOGIN')[];
  /** Allow AUTH before STARTTLS when STARTTLS is offered (default false). */
  readonly allowInsecure?: boolean;
  authenticate(user: string, password: string, session: ValidatorSession): boolean | Promise<boolean>;
}

export interface HandlerOptions {
  readonly hostname: string;
  readonly log: EventLog;
  readonly queue: Queue;
  rules: BuiltinRules;
  readonly validators: () => SmtpValidators;
  readonly logger: Logger;
  readonly now: () => number;
  /** The health gate: the event log's current append failure, if any. */
  readonly logFailing?: () => AppendFailure | undefined;
  /** Per-client connection count and rate (anvil). */
  readonly limits?: ClientLimits;
  /** Refuse a message with this many `Received:` headers (0: no limit). */
  readonly hopCountLimit?: number;
  readonly maxMessageSize?: number;
  readonly maxRecipients?: number;
  readonly auth?: AuthOptions;
  readonly inspect?: (event: InspectionEvent) => void;
}

interface Conn {
  readonly logger: Logger;
  readonly recorder: SessionRecorder;
  readonly validators: SmtpValidators;
  banner: SmtpReply;
  closeReason?: SessionClosed['reason'];
  data?: Promise<unknown>;
  /** Gives the client's connection slot back (anvil). */
  release?: () => void;
}

const internalError = (): SmtpReply => ({ code: 451, enhanced: '4.3.0', message: 'Error: internal server error' });

export class SessionHandlers {
  private readonly conns = new Map<string, Conn>();
  private readonly closing = new Set<Promise<void>>();

  constructor(private readonly o: HandlerOptions) {}

  /** New relay domains and mailboxes (SIGHUP): sessions use them from their next command on. */
  replaceRules(rules: BuiltinRules): void {
    this.o.rules = rules;
  }

  get open(): number {
    return this.conns.size;
  }

  /** Resolves when every closed session's records have settled. */
  async settled(): Promise<void> {
    while (this.closing.size) await Promise.allSettled([...this.closing]);
  }

  greeting(session: SMTPServerSession): string | undefined {
    return this.conns.get(session.id)?.banner.message;
  }

  /** Every reply line, as EdgeSMTPConnection reports it: derive why a session ends. */
  onReply(session: SMTPServerSession, code: number, _enhanced: string, text: string): void {
    const conn = this.conns.get(session.id);
    if (!conn || conn.closeReason) return;
    if (code === 221) conn.closeReason = 'quit';
    else if (code === 421) {
      conn.closeReason = /timeout/i.test(text)
        ? 'timeout'
        : /shutting down/i.test(text)
          ? 'shutdown'
          : /too many|too long/i.test(text)
            ? 'limit'
            : 'error';
    }
  }

  onConnect(session: SMTPServerSession, cb: Cb): void {
    const logger = this.o.logger.child({ sessionId: session.id });
    const recorder = new SessionRecorder(this.o.log, session.id, logger, this.o.inspect);
    let validators: SmtpValidators;
    try {
      validators = this.o.validators();
    } catch (err) {
      logger.error({ err }, 'could not create the validators; refusing the connection');
      return cb(
        toSmtpServerError({ code: 421, enhanced: '4.3.0', message: `${this.o.hostname} Error: internal server error` }),
      );
    }
    const conn: Conn = {
      logger,
      recorder,
      validators,
      banner: { code: 220, message: `${this.o.hostname} ESMTP mailtrail` },
    };
    this.conns.set(session.id, conn);
    const rdns = rdnsOf(session);
    recorder.note({
      type: 'SessionConnected',
      sessionId: session.id,
      remoteAddress: session.remoteAddress,
      remotePort: session.remotePort,
      localAddress: session.localAddress,
      localPort: session.localPort,
      ...(rdns ? { rdns } : {}),
      at: this.iso(),
    });
    logger.info({ ip: session.remoteAddress, rdns }, 'connect');
    const admission = this.o.limits?.admit(session.remoteAddress);
    if (admission && !admission.ok) {
      conn.closeReason = 'limit';
      const reply = replies.tooManyConnections(this.o.hostname, session.remoteAddress);
      logger.warn(
        { ip: session.remoteAddress, limit: admission.limit, value: admission.value },
        `connection ${admission.limit} limit exceeded: ${admission.value} from ${session.remoteAddress}`,
      );
      return cb(toSmtpServerError(reply));
    }
    if (admission) conn.release = admission.release;
    this.decide(
      conn,
      conn.banner,
      (reply) => conn.validators.handleBanner(reply, validatorSession(session)),
      (reply) => {
        if (!isRefusal(reply)) return cb();
        conn.closeReason = 'error';
        logger.info({ reply: replyLine(reply) }, 'connection refused');
        cb(toSmtpServerError(reply));
      },
    );
  }

  onSecure(_socket: unknown, session: SMTPServerSession, cb: Cb): void {
    const conn = this.conns.get(session.id);
    if (!conn) return cb();
    if (['mail', 'rcpt'].includes(conn.recorder.state)) conn.recorder.note({ type: 'SessionReset', at: this.iso() });
    const tls = tlsOf(session) ?? {};
    conn.recorder.note({ type: 'TlsStarted', ...tls, at: this.iso() });
    conn.logger.info(tls, 'tls started');
    this.decide(
      conn,
      accepted('Ready', '2.0.0', 220),
      (reply) => conn.validators.handleTls(reply, validatorSession(session)),
      (reply) => {
        if (!isRefusal(reply)) return cb();
        conn.closeReason = 'error';
        cb(toSmtpServerError(reply));
      },
    );
  }

  onAuth(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    cb: (err: Error | null | undefined, res?: SMTPServerAuthenticationResponse) => void,
  ): void {
    const conn = this.conns.get(session.id);
    const check = this.o.auth;
    if (!conn || !check) return cb(toSmtpServerError(replies.authUnavailable()));
    if (['mail', 'rcpt'].includes(conn.recorder.state)) return cb(toSmtpServerError(replies.authInTransaction()));
    const user = auth.username ?? '';
    const method = auth.method;
    const fail = (reply: SmtpReply): void => {
      conn.recorder.note({
        type: 'AuthFailed',
        ...(user ? { user } : {}),
        method,
        reply: replyLine(reply),
        at: this.iso(),
      });
      conn.logger.info({ user, method }, 'auth failed');
      const err = toSmtpServerError(reply);
      cb(null, { message: err.message, responseCode: err.responseCode });
    };
    Promise.resolve()
      .then(() => check.authenticate(user, auth.password ?? '', validatorSession(session)))
      .then(
        (ok) => {
          if (!ok) return fail(replies.authFailed());
          this.decide(
            conn,
            accepted('Authentication successful', '2.7.0', 235),
            (reply) => conn.validators.handleAuth(reply, validatorSession(session), { method, user }),
            (reply) => {
              if (isRefusal(reply)) return fail(reply);
              conn.recorder.note({ type: 'AuthSucceeded', user, method, at: this.iso() });
              conn.logger.info({ user, method }, 'authenticated');
              cb(null, { user });
            },
          );
        },
        (err: unknown) => {
          conn.logger.error({ err, method }, 'authentication backend failed');
          cb(toSmtpServerError(replies.authUnavailable()));
        },
      );
  }

  onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: Cb): void {
    const conn = this.conns.get(session.id);
    if (!conn) return cb(toSmtpServerError(internalError()));
    this.syncGreeting(conn, session);
    conn.recorder.openStream();
    const sender = address.address;
    const args = address.args || {};
    this.decide(
      conn,
      accepted(),
      (reply) => {
        const refusal =
          this.gateRefusal() ??
          this.o.rules.checkSender(sender, args.SMTPUTF8 === true) ??
          this.o.rules.checkHelo(heloOf(session));
        if (refusal) return void Object.assign(reply, refusal);
        return conn.validators.handleMail(reply, sender, validatorSession(session));
      },
      (reply) => {
        if (isRefusal(reply)) {
          conn.recorder.note({ type: 'MailFromRefused', sender, reply: replyLine(reply), at: this.iso() });
          conn.logger.info({ from: sender, reply: replyLine(reply) }, 'sender refused');
          return cb(toSmtpServerError(reply));
        }
        const size = typeof args.SIZE === 'string' ? Number(args.SIZE) : undefined;
        conn.recorder.note({
          type: 'MailFromAccepted',
          sender,
          ...(size !== undefined ? { size } : {}),
          ...(args.SMTPUTF8 === true ? { smtputf8: true } : {}),
          at: this.iso(),
        });
        cb();
      },
    );
  }

  onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: Cb): void {
    const conn = this.conns.get(session.id);
    if (!conn) return cb(toSmtpServerError(internalError()));
    if (address.address.toLowerCase() === 'postmaster' && this.o.rules.primaryDomain)
      address.address = `postmaster@${this.o.rules.primaryDomain}`;
    const recipient = address.address;
    const known = session.envelope.rcptTo.some((r) => r.address.toLowerCase() === recipient.toLowerCase());
    const max = this.o.maxRecipients;
    this.decide(
      conn,
      accepted(),
      (reply) => {
        const refusal =
          max && !known && session.envelope.rcptTo.length >= max
            ? replies.tooManyRecipients()
            : this.o.rules.checkRecipient(recipient, Boolean(session.envelope.smtpUtf8));
        if (refusal) return void Object.assign(reply, refusal);
        return conn.validators.handleRcpt(reply, recipient, validatorSession(session));
      },
      (reply) => {
        if (isRefusal(reply)) {
          conn.recorder.note({ type: 'RecipientRefused', recipient, reply: replyLine(reply), at: this.iso() });
          conn.logger.info({ to: recipient, reply: replyLine(reply) }, 'recipient refused');
          return cb(toSmtpServerError(reply));
        }
        if (!known) conn.recorder.note({ type: 'RecipientAccepted', recipient, at: this.iso() });
        cb();
      },
    );
  }

  onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    cb: (err?: Error | null, message?: string) => void,
  ): void {
    const conn = this.conns.get(session.id);
    if (!conn) {
      stream.resume();
      return cb(toSmtpServerError(internalError()));
    }
    let done: () => void = () => {};
    conn.data = new Promise<void>((resolve) => {
      done = resolve;
    });
    const refuse = (reply: SmtpReply): void => {
      conn.recorder.note({ type: 'MessageRefused', reply: replyLine(reply), at: this.iso() });
      conn.logger.info({ reply: replyLine(reply) }, 'message refused');
      cb(toSmtpServerError(reply));
    };
    this.decide(
      conn,
      accepted(),
      (reply) => {
        const refusal = this.gateRefusal();
        if (refusal) return void Object.assign(reply, refusal);
        return conn.validators.handleData(reply, validatorSession(session));
      },
      (reply) => {
        if (isRefusal(reply)) {
          stream.resume();
          refuse(reply);
          return done();
        }
        // cb() below lets smtp-server reset the envelope: keep it for the log line.
        const envelope = envelopeOf(session);
        receiveMessage({
          stream,
          queue: this.o.queue,
          input: {
            envelope,
            client: clientOf(session),
            sessionId: session.id,
            smtputf8: Boolean(session.envelope.smtpUtf8),
          },
          ...(this.o.maxMessageSize !== undefined ? { maxMessageSize: this.o.maxMessageSize } : {}),
          ...(this.o.hopCountLimit ? { hopCountLimit: this.o.hopCountLimit } : {}),
          logger: conn.logger,
        })
          .then((outcome) => {
            if (outcome.disconnected) return cb(toSmtpServerError(outcome.reply));
            if (!outcome.messageId) return refuse(outcome.reply);
            cb(null, `${outcome.reply.enhanced} ${outcome.reply.message}`);
            conn.recorder.note({
              type: 'MessageAccepted',
              messageId: outcome.messageId,
              size: outcome.size,
              at: this.iso(),
            });
            conn.logger.info(
              {
                messageId: outcome.messageId,
                size: outcome.size,
                from: envelope.sender,
                nrcpt: envelope.recipients.length,
              },
              `queued as ${outcome.messageId}`,
            );
          })
          .finally(done);
      },
    );
  }

  onClose(session: SMTPServerSession): void {
    const conn = this.conns.get(session.id);
    if (!conn) return;
    conn.release?.();
    const helo = heloOf(session);
    const closed = Promise.resolve(conn.data)
      .then(() => {
        const reason = conn.closeReason ?? 'disconnect';
        conn.recorder.close(reason, this.iso(), helo ? { helo } : {});
        conn.logger.info({ reason }, 'disconnect');
        return conn.recorder.settled();
      })
      .catch((err: unknown) => conn.logger.error({ err }, 'could not record the end of the session'))
      .finally(() => {
        this.conns.delete(session.id);
        this.closing.delete(closed);
      });
    this.closing.add(closed);
  }

  /** While the event log cannot be appended to: 452 4.3.1 when its disk is full, else 451 4.3.0. */
  private gateRefusal(): SmtpReply | undefined {
    const failing = this.o.logFailing?.();
    if (!failing) return undefined;
    return failing.full ? replies.storageFull() : replies.storageFailed();
  }

  /** Record ClientGreeted (or SessionReset) before a MAIL, as smtp-server has no EHLO/RSET hook. */
  private syncGreeting(conn: Conn, session: SMTPServerSession): void {
    const r = conn.recorder;
    const helo = heloOf(session) ?? '';
    const esmtp = isEsmtp(session);
    if (r.state === 'connected' || r.context.helo !== helo || r.context.esmtp !== esmtp) {
      r.note({ type: 'ClientGreeted', helo, esmtp, at: this.iso() });
    } else if (r.state === 'mail' || r.state === 'rcpt') {
      r.note({ type: 'SessionReset', at: this.iso() });
    }
  }

  /** Run a (maybe async) rule on `reply`, then answer; a throwing rule becomes 451 4.3.0. */
  private decide(
    conn: Conn,
    reply: SmtpReply,
    rule: (reply: SmtpReply) => void | Promise<void>,
    answer: (reply: SmtpReply) => void,
  ): void {
    Promise.resolve()
      .then(() => rule(reply))
      .then(
        () => normalizeReply(reply),
        (err: unknown) => {
          conn.logger.error({ err }, 'validator failed');
          return internalError();
        },
      )
      .then(answer)
      .catch((err: unknown) => conn.logger.error({ err }, 'smtp hook failed'));
  }

  private iso(): string {
    return new Date(this.o.now()).toISOString();
  }
}
