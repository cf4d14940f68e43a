/**
 * The next hops of a recipient domain, through node:dns's promise Resolver (its servers
 * configurable, so tests point it at a DNS server on loopback). MX records sorted by
 * preference (ties keep the server's order); the domain's own A/AAAA records only when it
 * has no MX (NODATA, RFC 5321 §5.1), never after a failed lookup (SERVFAIL, a timeout →
 * transient 4.4.3). NXDOMAIN → permanent 5.1.2; a null MX (RFC 7505) → permanent 5.1.10.
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DNS_FAILED_STATUS } from './replyStatus.js';

export interface MxResolverOptions {
  /** DNS servers, "ip" or "ip:port" ("[v6]:port"); the system's servers by default. */
  readonly servers?: readonly string[];
  /** Per-query timeout in ms (default 5000) and tries per server (default 2). */
  readonly timeout?: number;
  readonly tries?: number;
}

/** One next hop: an MX target (or the domain itself, `implicit`) and its preference. */
export interface MxHost {
  readonly name: string;
  readonly preference: number;
  readonly implicit: boolean;
}

export type LookupFailure = {
  readonly ok: false;
  readonly outcome: 'transient' | 'permanent';
  readonly status: string;
  readonly reply: string;
};
export type MxRoute = { readonly ok: true; readonly hosts: readonly MxHost[] } | LookupFailure;
export type AddressLookup = { readonly ok: true; readonly addresses: readonly string[] } | LookupFailure;

/** Answers that mean "this name has no such record": NODATA, and what c-ares says for it. */
const NO_DATA = new Set(['ENODATA']);
/** Answers that mean "this name does not exist". */
const NO_DOMAIN = new Set(['ENOTFOUND']);

export class MxResolver {
  readonly #resolver: Resolver;

  constructor(options: MxResolverOptions = {}) {
    this.#resolver = new Resolver({ timeout: options.timeout ?? 5000, tries: options.tries ?? 2 });
    if (options.servers !== undefined) this.#resolver.setServers([...options.servers]);
  }

  /** The next hops for mail to `domain`, best first, or why there are none. */
  async route(domain: string): Promise<MxRoute> {
    const literal = addressLiteral(domain);
    if (literal !== undefined) return { ok: true, hosts: [{ name: literal, preference: 0, implicit: true }] };
    let records: { exchange: string; priority: number }[];
    try {
      records = await this.#resolver.resolveMx(domain);
    } catch (err) {
      const code = dnsCode(err);
      if (NO_DATA.has(code)) return { ok: true, hosts: [{ name: domain, preference: 0, implicit: true }] };
      if (NO_DOMAIN.has(code)) return permanent('5.1.2', `domain ${domain} not found (NXDOMAIN)`);
      return transient(`MX lookup for ${domain} failed: ${code}`);
    }
    if (records.length === 0) return { ok: true, hosts: [{ name: domain, preference: 0, implicit: true }] };
    if (records.some(isNullMx)) {
      return permanent('5.1.10', `domain ${domain} accepts no mail (null MX, RFC 7505)`);
    }
    const hosts = records
      .map((record, index) => ({ record, index }))
      .sort((a, b) => a.record.priority - b.record.priority || a.index - b.index)
      .map(({ record }) => ({
        name: record.exchange.replace(/\.$/, ''),
        preference: record.priority,
        implicit: false,
      }));
    return { ok: true, hosts };
  }

  /**
   * The addresses of a next hop: IPv4 then IPv6. A host with neither record (NXDOMAIN or
   * NODATA for both) is a permanent failure of that host, 5.4.4; any failed lookup 4.4.3.
   */
  async addresses(host: string): Promise<AddressLookup> {
    if (isIP(host)) return { ok: true, addresses: [host] };
    const answers = await Promise.all([this.#lookup(host, 'A'), this.#lookup(host, 'AAAA')]);
    const addresses = answers.flatMap((a) => (Array.isArray(a) ? a : []));
    if (addresses.length > 0) return { ok: true, addresses };
    const failed = answers.find((a): a is string => typeof a === 'string');
    if (failed !== undefined) return transient(`address lookup for ${host} failed: ${failed}`);
    return permanent('5.4.4', `host ${host} has no address (A/AAAA) records`);
  }

  /** Addresses, `null` for "no such name or record", or the error code of a failed lookup. */
  async #lookup(host: string, type: 'A' | 'AAAA'): Promise<string[] | null | string> {
    try {
      return type === 'A' ? await this.#resolver.resolve4(host) : await this.#resolver.resolve6(host);
    } catch (err) {
      const code = dnsCode(err);
      return NO_DATA.has(code) || NO_DOMAIN.has(code) ? null : code;
    }
  }
}

/** RFC 7505: a single MX of preference 0 whose target is the root, ".". */
function isNullMx(record: { exchange: string; priority: number }): boolean {
  return record.exchange === '' || record.exchange === '.';
}

/** The address of a domain literal, "[192.0.2.1]" or "[IPv6:2001:db8::1]". */
export function addressLiteral(domain: string): string | undefined {
  const match = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(domain);
  return match && isIP(match[1]!) ? match[1] : undefined;
}

function dnsCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

function permanent(status: string, reply: string): LookupFailure {
  return { ok: false, outcome: 'permanent', status, reply };
}

function transient(reply: string): LookupFailure {
  return { ok: false, outcome: 'transient', status: DNS_FAILED_STATUS, reply };
}
