/**
 * Records one SMTP connection. Events are checked at once against a pure mirror of the
 * smtpSession machine (so `state` and `context` are current without waiting for the log) and
 * kept in memory until the first MAIL: the `session-<id>` stream is then created with all of
 * them, in the append that ends that first transaction. A connection that closes before MAIL (a scanner, a probe) gets no stream, only one
 * `SessionProbed` event in `probes-<yyyy-mm-dd>`. Appends are fired, never awaited by the
 * SMTP replies; events queued while one is in flight go out together in the next append, and
 * a transaction's MAIL and RCPT events wait for its end, so a message costs one append here.
 * A failed append is logged and ends the recording; it never crashes the edge.
 * The machine's only action is a no-op, so the pure mirror is the session's whole state: its
 * events are appended with the states the mirror reached (one transition per event), and a
 * live XState actor is only started for the inspector (`run --inspect`), fed after each append.
 */
import type { Logger } from 'pino';
import type { InspectionEvent, SnapshotFrom } from 'xstate';
import {
  SMTP_SESSION_MACHINE_VERSION,
  type SmtpSessionMachine,
  smtpSessionMachine,
} from '../../machines/smtpSession.machine.js';
import type { SmtpSessionContext } from '../../machines/smtpSession.context.js';
import type { SessionClosed, SessionProbed, SmtpSessionEvent } from '../../machines/smtpSession.events.js';
import type { EventLog } from '../eventlog/eventLog.js';
import { MailtrailError } from '../errors/mailtrailError.js';
import { CURRENT_SCHEMA } from '../replay/upcasters.js';
import { applyEvent, initialSnapshot } from '../replay/replay.js';
import type { MachineEventObject } from '../replay/eventShape.js';
import { stateName } from '../replay/stateName.js';
import { EventSourcedActor, storedEvent } from '../runtime/eventSourcedActor.js';
import { probesStream, sessionStream } from '../mail/streamNames.js';

export const SMTP_SESSION_IDENTITY = { name: 'smtpSession', version: SMTP_SESSION_MACHINE_VERSION } as const;

/** The runtime's implementation of the machine's only side-effect action. */
const liveMachine = smtpSessionMachine.provide({ actions: { sessionEnded: () => {} } }) as SmtpSessionMachine;

/** Events that a transaction's end always follows (at worst SessionClosed): appended with it. */
const IN_TRANSACTION: ReadonlySet<string> = new Set(['MailFromAccepted', 'RecipientAccepted', 'RecipientRefused']);

export class SessionRecorder {
  private pure: SnapshotFrom<SmtpSessionMachine> = initialSnapshot(liveMachine);
  /** Events noted but not yet appended, each with the state the machine reached. */
  private buffered: { event: SmtpSessionEvent; state: string }[] = [];
  /** Named at the first MAIL, created by the append that ends that transaction; then its last durable revision. */
  private stream: string | undefined;
  private revision: bigint | null = null;
  /** Only with an inspector: the live actor it watches. */
  private actor: EventSourcedActor<SmtpSessionMachine> | undefined;
  private inFlight: Promise<void> | undefined;
  private failed = false;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly log: EventLog,
    readonly sessionId: string,
    private readonly logger: Logger,
    /** An inspection observer for the session actor (`run --inspect`). */
    private readonly inspect?: (event: InspectionEvent) => void,
  ) {}

  get state(): string {
    return stateName(this.pure.value as never);
  }

  get context(): SmtpSessionContext {
    return this.pure.context;
  }

  get hasStream(): boolean {
    return this.stream !== undefined;
  }

  /** Queue an event; false (and a warning) if the session machine would not accept it here. */
  note(event: SmtpSessionEvent): boolean {
    try {
      this.pure = applyEvent(
        liveMachine,
        this.pure,
        event as unknown as MachineEventObject,
        sessionStream(this.sessionId),
      );
    } catch (err) {
      this.logger.warn(
        { err, event: event.type, state: this.state },
        'session event not recorded: not accepted in this state',
      );
      return false;
    }
    this.buffered.push({ event, state: this.state });
    // A transaction's MAIL and RCPT events wait for its end (MessageAccepted, MessageRefused,
    // a reset or the close): one append per transaction, not one per command.
    if (this.stream) this.flush();
    return true;
  }

  /** The first MAIL arrived: the stream will be created with everything so far, at the transaction's end. */
  openStream(): void {
    if (this.stream) return;
    const stream = sessionStream(this.sessionId);
    this.stream = stream;
    if (this.inspect)
      this.actor = new EventSourcedActor({
        log: this.log,
        stream,
        machine: liveMachine,
        identity: SMTP_SESSION_IDENTITY,
        actorOptions: { id: stream, inspect: this.inspect },
      });
    // The events so far go out with this first transaction's end (or the close): no append of their own.
  }

  /** Close: SessionClosed on the stream, or one SessionProbed for a session that never sent MAIL. */
  close(reason: SessionClosed['reason'], at: string, extra: { helo?: string }): void {
    if (this.state === 'closed') return;
    if (this.stream) {
      this.note({ type: 'SessionClosed', reason, at });
      this.track(this.drain().finally(() => this.actor?.stop()));
      return;
    }
    const c = this.context;
    const probe: SessionProbed = {
      type: 'SessionProbed',
      sessionId: this.sessionId,
      remoteAddress: c.remoteAddress,
      ...(extra.helo ? { helo: extra.helo } : {}),
      tls: c.tls !== undefined,
      authFailures: c.authFailures,
      reason,
      connectedAt: c.connectedAt,
      at,
    };
    const { type, ...data } = probe;
    this.buffered = [];
    this.pure = applyEvent(
      liveMachine,
      this.pure,
      { type: 'SessionClosed', reason, at },
      sessionStream(this.sessionId),
    );
    this.track(
      this.log
        .append(probesStream(at), [{ type, data, metadata: { schema: CURRENT_SCHEMA } }], { expectedRevision: 'any' })
        .then(
          () => undefined,
          (err: unknown) => {
            this.logger.error({ err }, 'could not record the probe session');
          },
        ),
    );
  }

  /** Resolves when every append fired so far has settled. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Appends what is buffered, unless an append is in flight or the buffer ends inside a transaction. */
  private flush(): void {
    if (this.inFlight || this.failed || !this.stream) return;
    const last = this.buffered.at(-1);
    if (!last || IN_TRANSACTION.has(last.event.type)) return;
    const batch = this.buffered;
    this.buffered = [];
    this.inFlight = this.append(this.stream, batch)
      .then(
        () => undefined,
        (err: unknown) => {
          this.failed = true;
          const events = batch.map((e) => e.event.type);
          // A known failure (the disk is full, the log is down: the append-health gate says so
          // once for the episode) is one line without a stack; anything else is a bug, in full.
          if (err instanceof MailtrailError)
            this.logger.warn(
              { code: err.code, reason: err.message, events },
              'could not record the SMTP session; its stream stops here',
            );
          else this.logger.error({ err, events }, 'could not record the SMTP session; its stream stops here');
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        this.flush();
      });
    this.track(this.inFlight);
  }

  /** One append of noted events, at the revision the last one left (the live actor's, when inspected). */
  private async append(stream: string, batch: readonly { event: SmtpSessionEvent; state: string }[]): Promise<void> {
    if (this.actor) {
      await this.actor.record(...batch.map((b) => b.event));
      return;
    }
    const stored = batch.map(({ event, state }) =>
      storedEvent(event as unknown as MachineEventObject, SMTP_SESSION_IDENTITY, state),
    );
    const result = await this.log.append(stream, stored, {
      expectedRevision: this.revision === null ? 'no_stream' : this.revision,
    });
    this.revision = result.nextExpectedRevision;
  }

  private async drain(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}
