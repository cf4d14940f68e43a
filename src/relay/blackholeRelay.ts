/**
 * The blackhole relay: accepts every recipient and delivers nowhere (Postfix's discard(8)).
 * It never opens the content. Each recipient is reported 'delivered' with 2.0.0 so the
 * queue crosses it off; useful for tests, benchmarks and sinks for unwanted mail.
 */
import type { DeliveryRequest, RecipientResult, Relay } from './relay.js';

export class BlackholeRelay implements Relay {
  readonly name = 'blackhole';

  async deliver(request: DeliveryRequest): Promise<RecipientResult[]> {
    return request.recipients.map((recipient) => ({
      recipient,
      outcome: 'delivered' as const,
      status: '2.0.0',
      reply: 'discarded by blackhole relay',
    }));
  }
}
