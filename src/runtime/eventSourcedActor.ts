/**
 * Live mode of an event-sourced machine: `record(events)` checks each event against the
 * machine's pure transition (which also yields the actions XState would execute), appends them
 * to the actor's stream (expected revision = the last one it wrote), and only once the append
 * is durable runs those actions, in order, with the new snapshot in place. If the append fails,
 * no action runs and the error is thrown. With an inspector a real XState actor is started and
 * fed the events instead, so the Stately inspector sees it (its state is checked against the fold).
 * Records are serialized per actor, so an action may call record() again without racing.
 */
import {
  type Actor,
  type ActorOptions,
  type AnyStateMachine,
  type EventFromLogic,
  type SnapshotFrom,
  createActor,
} from 'xstate';
import type { EventData, EventLog, InlineBody, JsonObject } from '../eventlog/eventLog.js';
import { InvariantError } from '../errors/mailtrailError.js';
import { type EventMetadata, type MachineEventObject, toEventData } from '../replay/eventShape.js';
import { applyEvent, initialSnapshot } from '../replay/replay.js';
import type { StepAction } from '../replay/pureTransition.js';
import { schemaOf } from '../replay/upcasters.js';
import { stateName } from '../replay/stateName.js';

/** The state name a snapshot stands in. */
const stateOf = (snapshot: unknown): string => stateName((snapshot as { value: never }).value);

export interface MachineIdentity {
  readonly name: string;
  readonly version: number;
}

/** A machine's event as the log stores it: its payload, and metadata naming the machine and the state reached. */
export function storedEvent(event: MachineEventObject, identity: MachineIdentity, state: string): EventData {
  const metadata: EventMetadata = {
    schema: schemaOf(event.type),
    machine: identity.name,
    machineVersion: identity.version,
    state,
  };
  return toEventData(event, metadata);
}

export interface EventSourcedActorOptions<M extends AnyStateMachine> {
  readonly log: EventLog;
  readonly stream: string;
  /** The machine with its implementations already provided. */
  readonly machine: M;
  readonly identity: MachineIdentity;
  /** Where a replay left the stream; omit for a new stream. */
  readonly from?: { snapshot: SnapshotFrom<M>; revision: bigint | null };
  readonly actorOptions?: Omit<ActorOptions<M>, 'snapshot'>;
  /**
   * Hand the log each event's fold (state and context after it, state before it: AppenderFold)
   * so inline projections need not fold the stream again. For machines whose context stays
   * small (a message's): a writer thread receives a copy of it with every event.
   */
  readonly shareFold?: boolean;
}

export class EventSourcedActor<M extends AnyStateMachine> {
  readonly stream: string;
  /**
   * The live XState actor, started only when an inspector watches (`actorOptions.inspect`):
   * otherwise each step's actions come from the pure transition and run once the append is
   * durable, and no actor exists (one transition per event instead of two).
   */
  readonly actor: Actor<M> | undefined;
  private readonly log: EventLog;
  private readonly machine: M;
  private readonly identity: MachineIdentity;
  private readonly shareFold: boolean;
  private revision: bigint | null;
  private pure: SnapshotFrom<M>;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(options: EventSourcedActorOptions<M>) {
    this.log = options.log;
    this.stream = options.stream;
    this.machine = options.machine;
    this.identity = options.identity;
    this.shareFold = options.shareFold ?? false;
    this.revision = options.from?.revision ?? null;
    this.pure = options.from?.snapshot ?? initialSnapshot(options.machine);
    if (options.actorOptions?.inspect) {
      const snapshotOption = options.from
        ? { snapshot: options.machine.getPersistedSnapshot(options.from.snapshot) }
        : {};
      this.actor = createActor(options.machine, { ...options.actorOptions, ...snapshotOption } as ActorOptions<M>);
      this.actor.start();
    }
  }

  /** The revision of the last event this actor wrote or replayed (null: empty stream). */
  get lastRevision(): bigint | null {
    return this.revision;
  }

  get snapshot(): SnapshotFrom<M> {
    return this.actor ? this.actor.getSnapshot() : this.pure;
  }

  get state(): string {
    return stateOf(this.snapshot);
  }

  /** Append these events, then run their actions (or, inspected, send them to the live actor). Resolves with the new state. */
  record(...events: EventFromLogic<M>[]): Promise<string> {
    return this.recordWith({}, ...events);
  }

  /** record(), with bodies committed in the same append (the spool's inline bodies). */
  recordWith(options: { bodies?: readonly InlineBody[] }, ...events: EventFromLogic<M>[]): Promise<string> {
    const run = this.chain.then(() => this.recordNow(events, options.bodies));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async recordNow(events: EventFromLogic<M>[], bodies?: readonly InlineBody[]): Promise<string> {
    let next = this.pure;
    // Without a live actor, the actions of every step, to run once the append is durable.
    const actions: StepAction[] | undefined = this.actor ? undefined : [];
    let stateBefore = this.shareFold && this.revision !== null ? stateOf(next) : null;
    const stored = events.map((event, i) => {
      const where = `${this.stream}@${this.nextRevision(i)}`;
      next = applyEvent(this.machine, next, event as MachineEventObject, where, actions);
      const state = stateOf(next);
      const data = storedEvent(event as MachineEventObject, this.identity, state);
      if (!this.shareFold) return data;
      const fold = { state, context: (next as unknown as { context: JsonObject }).context, stateBefore };
      stateBefore = state;
      return { ...data, fold };
    });
    const result = await this.log.append(this.stream, stored, {
      expectedRevision: this.revision === null ? 'no_stream' : this.revision,
      ...(bodies?.length ? { bodies } : {}),
    });
    this.revision = result.nextExpectedRevision;
    this.pure = next;
    const expected = stateOf(next);
    if (!this.actor) {
      for (const action of actions ?? []) action.exec?.(action.info as never, action.params as never);
      return expected;
    }
    for (const event of events) this.actor.send(event as never);
    const live = this.state;
    if (live !== expected)
      throw new InvariantError(`${this.stream}: live actor reached ${live}, pure transition ${expected}`);
    return live;
  }

  private nextRevision(offset: number): bigint {
    return (this.revision === null ? 0n : this.revision + 1n) + BigInt(offset);
  }

  stop(): void {
    this.actor?.stop();
  }
}
