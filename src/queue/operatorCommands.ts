/**
 * The operator's commands on a live message (postqueue -f, postsuper -h/-H/-r/-d): each
 * records its event on the message's stream (operatorOps.ts names it), and the machine decides
 * whether the message's state accepts it; a refusal is the machine's EventNotAcceptedError.
 */
import type { MessageActors } from './messageActors.js';
import { type OperatorOp, acceptsOp, operatorEvent } from './operatorOps.js';

export class OperatorCommands {
  constructor(private readonly actors: MessageActors) {}

  /** Record `op`'s event for message `id`; resolves with the state it leads to. */
  run(op: OperatorOp, id: string, by: string): Promise<string> {
    return this.actors.require(id).record(operatorEvent(op, this.actors.iso(), by));
  }

  /** Retry every live message that accepts a retry now; resolves with how many. */
  async retryAll(by: string): Promise<number> {
    const ids = [...this.actors.entries()].filter(([, a]) => acceptsOp('retry', a.state)).map(([id]) => id);
    await Promise.all(ids.map((id) => this.run('retry', id, by)));
    return ids.length;
  }
}
