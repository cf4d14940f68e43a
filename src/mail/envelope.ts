/**
 * The shared shapes of a queued message: its SMTP envelope, the client it came from and
 * the queue's record of it. Plain read-only data, no behaviour: the queue, the relays,
 * the policies and the bounce generator all speak in these terms.
 * The null reverse-path `<>` is the empty string; the client is src/mail/clientInfo.ts's.
 */
export interface Envelope {
  readonly sender: string /* '' for the null sender <> */;
  readonly recipients: readonly string[];
}
import type { ClientInfo } from './clientInfo.js';

export type { ClientInfo } from './clientInfo.js';
export interface QueuedMessage {
  readonly id: string;
  readonly envelope: Envelope;
  readonly client?: ClientInfo;
  readonly receivedAt: string /* ISO */;
  readonly smtputf8?: boolean;
  readonly size: number;
}
