/**
 * The operator's commands on a live message (postqueue -f, postsuper -h/-H/-r/-d): each
 * records its event on the message's stream (operatorOps.ts names it), and the machine decides
 * whether the message's state accepts it; a refusal is the machine's EventNotAcceptedError.
 */
import type { MessageActor, MessageActors } from './messageActors.js';
import { type OperatorOp, acceptsOp, operatorEvent } from './operatorOps.js';
import { UnknownMessageError } from './queueErrors.js';

/** Messages resting without an actor (restingMessages.ts): woken for a command. */
export interface RestingPort {
  actorFor(id: string): Promise<MessageActor | undefined>;
  ids(): string[];
  stateOf(id: string): string | undefined;
}

export class OperatorCommands {
  constructor(
    private readonly actors: MessageActors,
    private readonly resting?: RestingPort,
  ) {}

  /** Record `op`'s event for message `id`; resolves with the state it leads to. */
  async run(op: OperatorOp, id: string, by: string): Promise<string> {
    const actor = this.actors.get(id) ?? (await this.resting?.actorFor(id));
    if (!actor) throw new UnknownMessageError(id);
    return actor.record(operatorEvent(op, this.actors.iso(), by));
  }

  /** Retry every live message that accepts a retry now; resolves with how many. */
  async retryAll(by: string): Promise<number> {
    const ids = [...this.actors.entries()].filter(([, a]) => acceptsOp('retry', a.state)).map(([id]) => id);
    const resting = (this.resting?.ids() ?? []).filter((id) => acceptsOp('retry', this.resting!.stateOf(id) ?? ''));
    await Promise.all(ids.map((id) => this.run('retry', id, by)));
    // Resting ones a page at a time: each gets its actor back.
    for (let i = 0; i < resting.length; i += 100)
      await Promise.all(resting.slice(i, i + 100).map((id) => this.run('retry', id, by)));
    return ids.length + resting.length;
  }
}
