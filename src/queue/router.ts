/**
 * Routing: which relay delivers a recipient, and to which address. A recipient at a hosted
 * domain goes to the local relay (or its domain's route), as the mailbox it names: with a
 * mailbox list, the mailbox as configured (case folded for the lookup, as Postfix does) or a
 * permanent 5.1.1 when there is none — the check the edge makes at RCPT, applied again here
 * to mail the queue generates itself (DSNs). Any other recipient goes to its domain's route or
 * the outbound relay; with none it is deferred with a clear reason, never handed to a local
 * relay. With no hosted domains (the tutorial's `new Queue(storage, relay)`) the recipients of
 * received mail are local (the edge's validators accepted them); a DSN's never are.
 */
import type { Relay } from '../relay/relay.js';
import { domainOf, localPartOf } from '../mail/address.js';

export type Route =
  | { readonly relay: Relay; readonly address: string }
  | { readonly deferReason: string }
  | { readonly failure: { readonly status: string; readonly reason: string } };

export interface RouterOptions {
  /** Hosted domains. Empty: every recipient of received mail is local, no recipient of a DSN is. */
  readonly localDomains: readonly string[];
  /** Known mailboxes at the hosted domains (`user@domain`); others there fail with 5.1.1. */
  readonly mailboxes?: readonly string[];
  readonly localRelay: Relay;
  /** Per recipient domain (lower case). */
  readonly routes?: Readonly<Record<string, Relay>>;
  /** For every recipient outside the hosted domains without a route of its own. */
  readonly outboundRelay?: Relay;
}

/** What the router needs to know of the message: mail the queue made itself (a DSN) or not. */
export interface RouteContext {
  readonly generated?: boolean;
}

/** The queue's own mail is its DSNs (origin `dsn`); everything else it received. */
export const routeContextOf = (message: { readonly origin: string }): RouteContext => ({
  generated: message.origin === 'dsn',
});

/** Lower-cased address → the mailbox as configured (domain lower-cased). */
function mailboxMap(mailboxes: readonly string[] | undefined): ReadonlyMap<string, string> | undefined {
  if (!mailboxes) return undefined;
  return new Map(
    mailboxes.map((m) => {
      const configured = `${localPartOf(m)}@${domainOf(m)}`;
      return [configured.toLowerCase(), configured];
    }),
  );
}

export class Router {
  private localDomains: readonly string[];
  private mailboxes: ReadonlyMap<string, string> | undefined;

  constructor(private readonly options: RouterOptions) {
    this.localDomains = options.localDomains.map((d) => d.toLowerCase());
    this.mailboxes = mailboxMap(options.mailboxes);
  }

  /** The hosted domains changed (SIGHUP): later attempts route by the new list. */
  setLocalDomains(domains: readonly string[]): void {
    this.localDomains = domains.map((d) => d.toLowerCase());
  }

  /** The known mailboxes changed (SIGHUP); undefined: any local part at a hosted domain. */
  setMailboxes(mailboxes: readonly string[] | undefined): void {
    this.mailboxes = mailboxMap(mailboxes);
  }

  isLocal(domain: string, context: RouteContext = {}): boolean {
    return this.localDomains.length === 0
      ? context.generated !== true
      : this.localDomains.includes(domain.toLowerCase());
  }

  route(recipient: string, context: RouteContext = {}): Route {
    const domain = domainOf(recipient);
    const routed = this.options.routes?.[domain];
    if (this.isLocal(domain, context)) {
      const mailbox = this.mailboxFor(recipient, domain);
      if (mailbox === undefined)
        return { failure: { status: '5.1.1', reason: 'recipient address rejected: user unknown in the mailbox list' } };
      return { relay: routed ?? this.options.localRelay, address: mailbox };
    }
    if (routed) return { relay: routed, address: recipient };
    if (this.options.outboundRelay) return { relay: this.options.outboundRelay, address: recipient };
    return { deferReason: `no outbound relay configured for ${domain}` };
  }

  /** The mailbox a local recipient names, as configured; undefined when it names none. */
  private mailboxFor(recipient: string, domain: string): string | undefined {
    const address = `${localPartOf(recipient)}@${domain}`;
    if (!this.mailboxes || this.localDomains.length === 0) return address;
    return this.mailboxes.get(address.toLowerCase());
  }

  /** Every distinct relay, for closing. */
  relays(): Relay[] {
    const all = [
      this.options.localRelay,
      ...Object.values(this.options.routes ?? {}),
      ...(this.options.outboundRelay ? [this.options.outboundRelay] : []),
    ];
    return [...new Set(all)];
  }
}
