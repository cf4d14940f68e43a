/**
 * The shared shapes of a queued message: its SMTP envelope, the client it came from and
 * the queue's record of it. Plain read-only data, no behaviour: the queue, the relays,
 * the policies and the bounce generator all speak in these terms.
 * The null reverse-path `<>` is the empty string; protocol names are RFC 3848's.
 */
export interface Envelope { readonly sender: string /* '' for the null sender <> */; readonly recipients: readonly string[] }
export interface ClientInfo { readonly ip: string; readonly rdns?: string; readonly helo?: string; readonly protocol: 'SMTP'|'ESMTP'|'ESMTPS'|'ESMTPA'|'ESMTPSA'|'UTF8SMTP'|'UTF8SMTPS'|'UTF8SMTPA'|'UTF8SMTPSA'|'LMTP'; readonly tls?: { cipher?: string; version?: string } }
export interface QueuedMessage { readonly id: string; readonly envelope: Envelope; readonly client?: ClientInfo; readonly receivedAt: string /* ISO */; readonly smtputf8?: boolean; readonly size: number }
