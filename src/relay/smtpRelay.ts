/**
 * The SMTP relay: sends each message on to a static next hop (`host`, `mx: false`) or to
 * the MX hosts of each recipient's domain (no `host`), or of `host` with `mx: true`, as
 * Postfix's relayhost without brackets. Recipients are grouped by domain (one transaction
 * per domain, a static next hop takes them all in one); within an attempt the next MX
 * host, then the next address, is tried while a host is unreachable or fails before any
 * recipient is answered. Idle connections are kept per destination for later attempts
 * (sessionPool.ts). One result per recipient, in order; it does not throw for those.
 */
import type { ConnectionOptions } from 'node:tls';
import { isIP } from 'node:net';
import { MxResolver, type LookupFailure, type MxResolverOptions } from './mxResolver.js';
import type { DeliveryRequest, RecipientResult, Relay } from './relay.js';
import { SMTP_RELAY_DEFAULTS } from './relayDefaults.js';
import { SessionPool, type SessionPoolOptions } from './sessionPool.js';
import type { SessionFailure, SessionOptions, StartTlsPolicy } from './smtpClientSession.js';
import { attemptDelivery, contentHas8Bit, unique } from './smtpTransaction.js';
import { domainOf } from '../mail/address.js';

export interface SmtpRelayOptions {
  /** The static next hop; without it, each recipient domain's MX hosts. */
  readonly host?: string;
  /** The port of every next hop (default 25). */
  readonly port?: number;
  /** Look up MX records (of the domain, or of `host`); default: true exactly when no host. */
  readonly mx?: boolean;
  /** STARTTLS when offered (default, certificate not verified), always, or never. */
  readonly starttls?: StartTlsPolicy;
  readonly auth?: { readonly user: string; readonly pass: string };
  /** Our name in EHLO, e.g. the config's hostname. */
  readonly helo: string;
  /** Milliseconds for connecting and for each reply (default 300000). */
  readonly timeout?: number;
  /** The DNS resolver, or options for one (e.g. `{ servers: ['127.0.0.1:5353'] }`). */
  readonly resolver?: MxResolver | MxResolverOptions;
  readonly tls?: ConnectionOptions;
  readonly pool?: SessionPoolOptions;
  /** Domains delivered at the same time within one request (default 4). */
  readonly concurrency?: number;
}

type Failure = Pick<LookupFailure, 'outcome' | 'status' | 'reply'>;

export class SmtpRelay implements Relay {
  readonly name = 'smtp';
  readonly #options: SmtpRelayOptions;
  readonly #resolver: MxResolver;
  readonly #pool: SessionPool;
  readonly #mx: boolean;

  constructor(options: SmtpRelayOptions) {
    this.#options = options;
    this.#mx = options.mx ?? options.host === undefined;
    if (!this.#mx && options.host === undefined) throw new TypeError('SmtpRelay: a host is required when mx is false');
    this.#resolver = options.resolver instanceof MxResolver ? options.resolver : new MxResolver(options.resolver);
    this.#pool = new SessionPool(options.pool);
  }

  async deliver(request: DeliveryRequest): Promise<RecipientResult[]> {
    const results = new Map<string, RecipientResult>();
    const groups = new Map<string, string[]>();
    for (const recipient of unique(request.recipients)) {
      const domain = this.#options.host === undefined ? domainOf(recipient) || undefined : '';
      if (domain === undefined) {
        results.set(recipient, {
          recipient,
          outcome: 'permanent',
          status: '5.1.3',
          reply: 'recipient address has no domain',
        });
        continue;
      }
      groups.set(domain, [...(groups.get(domain) ?? []), recipient]);
    }
    let eightBit = false;
    try {
      if (groups.size > 0) eightBit = await contentHas8Bit(request);
    } catch (err) {
      const reply = `error reading message: ${err instanceof Error ? err.message : String(err)}`;
      for (const list of groups.values())
        for (const r of list) results.set(r, { recipient: r, outcome: 'transient', status: '4.3.0', reply });
      groups.clear();
    }
    const work = [...groups.entries()];
    const worker = async (): Promise<void> => {
      for (let next = work.shift(); next; next = work.shift()) {
        for (const result of await this.#deliverGroup(request, next[0], next[1], eightBit))
          results.set(result.recipient, result);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.#options.concurrency ?? 4) }, worker));
    return request.recipients.map((recipient) => results.get(recipient)!);
  }

  async close(): Promise<void> {
    this.#pool.close();
  }

  /** One domain's recipients (or all, for a static next hop): each next hop in turn. */
  async #deliverGroup(
    request: DeliveryRequest,
    domain: string,
    recipients: string[],
    eightBit: boolean,
  ): Promise<RecipientResult[]> {
    const hops = await this.#nextHops(domain);
    if (!Array.isArray(hops)) return recipients.map((recipient) => failed(recipient, hops));
    const failures: Failure[] = [];
    let lastRetry: { failure: Failure; results: RecipientResult[] } | undefined;
    for (const hop of hops) {
      const addresses = this.#mx ? await this.#resolver.addresses(hop) : { ok: true as const, addresses: [hop] };
      if (!addresses.ok) {
        failures.push(addresses);
        continue;
      }
      for (const address of addresses.addresses) {
        const attempt = await attemptDelivery(
          this.#pool,
          `${address}:${this.#port}`,
          this.#sessionOptions(address, hop),
          request,
          recipients,
          eightBit,
        );
        if (!attempt.ok) {
          failures.push(describeFailure(attempt.failure, hop, address));
          continue;
        }
        if (!attempt.retryElsewhere) return attempt.results;
        const first = attempt.results.find((r) => r.outcome === 'transient')!;
        lastRetry = {
          failure: { outcome: 'transient', status: first.status, reply: `${hop} [${address}]: ${first.reply}` },
          results: attempt.results,
        };
        failures.push(lastRetry.failure);
      }
    }
    const summary = summarize(failures);
    if (lastRetry?.failure === summary) return lastRetry.results;
    return recipients.map((recipient) => failed(recipient, summary));
  }

  /** The hosts to try, best first, or why there are none. */
  async #nextHops(domain: string): Promise<string[] | Failure> {
    const host = this.#options.host;
    if (!this.#mx) return [host!];
    const route = await this.#resolver.route(host ?? domain);
    if (!route.ok) return route;
    return route.hosts.map((h) => h.name);
  }

  get #port(): number {
    return this.#options.port ?? SMTP_RELAY_DEFAULTS.port;
  }

  #sessionOptions(address: string, hop: string): SessionOptions {
    const o = this.#options;
    // Connecting by address, TLS still names the host (SNI, and the check under 'required').
    const servername = isIP(hop) ? undefined : hop;
    return {
      host: address,
      port: this.#port,
      lmtp: false,
      helo: o.helo,
      starttls: o.starttls ?? SMTP_RELAY_DEFAULTS.starttls,
      timeout: o.timeout ?? SMTP_RELAY_DEFAULTS.timeout,
      ...(o.auth ? { auth: o.auth } : {}),
      tls: { ...(servername ? { servername } : {}), ...o.tls },
    };
  }
}

function describeFailure(failure: SessionFailure, hop: string, address: string): Failure {
  const where = hop === address ? hop : `${hop} [${address}]`;
  return { outcome: failure.outcome, status: failure.status, reply: `${where}: ${failure.reply}` };
}

/**
 * What the attempt comes to when no next hop took the message: the last transient failure
 * if there was one (another attempt may reach a host), else the last permanent one.
 */
function summarize(failures: readonly Failure[]): Failure {
  const transient = failures.filter((f) => f.outcome === 'transient');
  return (
    transient.at(-1) ??
    failures.at(-1) ?? { outcome: 'transient', status: '4.4.1', reply: 'no next hop could be reached' }
  );
}

function failed(recipient: string, failure: Failure): RecipientResult {
  return { recipient, outcome: failure.outcome, status: failure.status, reply: failure.reply };
}
