/**
 * Routing: which relay delivers a recipient. Recipients at hosted domains go to the local
 * relay (or a per-domain route); anything else (a DSN to a remote sender) goes to the
 * outbound relay. With no outbound relay configured such recipients are deferred with a clear
 * reason: they are never written into a Maildir of a domain we do not host.
 */
import type { Relay } from '../relay/relay.js';

export type Route = { readonly relay: Relay } | { readonly deferReason: string };

export interface RouterOptions {
  /** Hosted domains, lower case. Empty: every domain is local. */
  readonly localDomains: readonly string[];
  readonly localRelay: Relay;
  /** Per recipient domain (lower case). */
  readonly routes?: Readonly<Record<string, Relay>>;
  readonly outboundRelay?: Relay;
}

export const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

export class Router {
  private localDomains: readonly string[];

  constructor(private readonly options: RouterOptions) {
    this.localDomains = options.localDomains;
  }

  /** The hosted domains changed (SIGHUP): later attempts route by the new list. */
  setLocalDomains(domains: readonly string[]): void {
    this.localDomains = domains.map((d) => d.toLowerCase());
  }

  route(recipient: string): Route {
    const domain = domainOf(recipient);
    const routed = this.options.routes?.[domain];
    if (routed) return { relay: routed };
    const { localDomains } = this;
    if (localDomains.length === 0 || localDomains.includes(domain)) return { relay: this.options.localRelay };
    if (this.options.outboundRelay) return { relay: this.options.outboundRelay };
    return { deferReason: `no outbound relay configured for ${domain}` };
  }

  /** Every distinct relay, for closing. */
  relays(): Relay[] {
    const all = [this.options.localRelay, ...Object.values(this.options.routes ?? {}), ...(this.options.outboundRelay ? [this.options.outboundRelay] : [])];
    return [...new Set(all)];
  }
}
