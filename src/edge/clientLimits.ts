/**
 * Per-client connection limits, as Postfix's anvil(8) keeps them for smtpd: how many
 * connections one client address may hold at once (smtpd_client_connection_count_limit) and
 * how many it may open per time unit (smtpd_client_connection_rate_limit, anvil_rate_time_unit).
 * Addresses on the exception list (smtpd_client_event_limit_exceptions) are not limited.
 * `admit(address)` counts the connection and says whether it may go on; `release()` ends it.
 * A limit of 0 turns that limit off. Time comes from the injected clock.
 */
import type { BlockList } from 'node:net';
import { bareAddress, listed, networkList } from '../mail/ipNetwork.js';

export interface ClientLimitOptions {
  /** Concurrent connections per client address; 0: no limit. */
  readonly connectionLimit: number;
  /** Connection attempts per client address per `rateTimeUnit`; 0: no limit. */
  readonly rateLimit: number;
  /** Milliseconds of the rate window (anvil_rate_time_unit). */
  readonly rateTimeUnit: number;
  /** Addresses and CIDR networks that no limit applies to. */
  readonly exceptions: readonly string[];
  readonly now: () => number;
}

export type Admission =
  | { readonly ok: true; release(): void }
  | { readonly ok: false; readonly limit: 'count' | 'rate'; readonly value: number };

export class ClientLimits {
  private readonly open = new Map<string, number>();
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly exempt: BlockList;
  private lastSweep = 0;

  constructor(private readonly o: ClientLimitOptions) {
    this.exempt = networkList(o.exceptions);
  }

  /** Whether limits apply to this address at all. */
  isExempt(address: string): boolean {
    return listed(this.exempt, address);
  }

  /** Count one new connection from `address`; a refusal names the limit it broke. */
  admit(address: string): Admission {
    const ip = bareAddress(address);
    if ((!this.o.connectionLimit && !this.o.rateLimit) || this.isExempt(ip)) return { ok: true, release: () => {} };
    const rate = this.o.rateLimit ? this.countRate(ip) : 0;
    const count = (this.open.get(ip) ?? 0) + 1;
    if (this.o.connectionLimit && count > this.o.connectionLimit) return { ok: false, limit: 'count', value: count };
    if (this.o.rateLimit && rate > this.o.rateLimit) return { ok: false, limit: 'rate', value: rate };
    this.open.set(ip, count);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.open.get(ip) ?? 1) - 1;
        if (n > 0) this.open.set(ip, n);
        else this.open.delete(ip);
      },
    };
  }

  /** Connections open now from this address (exempt ones are not counted). */
  connections(address: string): number {
    return this.open.get(bareAddress(address)) ?? 0;
  }

  /** Anvil's fixed window: it starts at a client's first connection and lasts one time unit. */
  private countRate(ip: string): number {
    const now = this.o.now();
    if (now - this.lastSweep >= this.o.rateTimeUnit) {
      this.lastSweep = now;
      for (const [key, w] of this.windows) if (now - w.start >= this.o.rateTimeUnit) this.windows.delete(key);
    }
    const w = this.windows.get(ip);
    if (!w || now - w.start >= this.o.rateTimeUnit) {
      this.windows.set(ip, { start: now, count: 1 });
      return 1;
    }
    w.count += 1;
    return w.count;
  }
}
