/**
 * The relay port: a relay takes one delivery request (a queued message and the recipients
 * to try now) and returns one RecipientResult per recipient, in the request's order.
 * A per-recipient failure is a result ('transient' 4.x.x or 'permanent' 5.x.x), never a
 * throw; a relay throws only for a bug or when it cannot run at all (the queue then
 * treats every recipient as 4.0.0). Implementations are siblings: maildirRelay, ...
 */
import type { QueuedMessage } from '../mail/envelope.js';

export type RecipientResult = {
  recipient: string;
  outcome: 'delivered' | 'transient' | 'permanent';
  status: string /* RFC 3463, e.g. 2.0.0, 4.2.0, 5.1.1 */;
  reply: string /* human text, e.g. "delivered to maildir" or the remote reply */;
};

export interface DeliveryRequest {
  message: QueuedMessage;
  recipients: readonly string[];
  /** Headers to prepend (policy output), then the body; may be called once per recipient. */
  openContent(opts: { lineEndings: 'crlf' | 'lf' }): NodeJS.ReadableStream;
}

export interface Relay {
  readonly name: string;
  deliver(request: DeliveryRequest): Promise<RecipientResult[]>;
  close?(): Promise<void>;
}
