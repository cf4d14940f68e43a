/**
 * A small cache of idle client sessions per destination ("address:port" or a socket
 * path), as Postfix's scache: after a transaction a usable session is parked for
 * `idleTimeout` ms (at most `maxIdle` per destination) and the next attempt to the same
 * destination takes it instead of connecting again. Parked sockets are unref'd so an
 * idle pool never keeps the process alive; a session the server closed is dropped.
 */
import type { ClientSession } from './smtpClientSession.js';

export interface SessionPoolOptions {
  /** How long an idle session is kept, in ms (default 5000; 0 disables the pool). */
  readonly idleTimeout?: number;
  /** Idle sessions kept per destination (default 2). */
  readonly maxIdle?: number;
  /** Transactions after which a session is closed rather than parked (default 100). */
  readonly maxTransactions?: number;
}

type Parked = { session: ClientSession; timer: NodeJS.Timeout };

export class SessionPool {
  readonly #idle = new Map<string, Parked[]>();
  readonly #idleTimeout: number;
  readonly #maxIdle: number;
  readonly #maxTransactions: number;
  #closed = false;

  constructor(options: SessionPoolOptions = {}) {
    this.#idleTimeout = options.idleTimeout ?? 5000;
    this.#maxIdle = options.maxIdle ?? 2;
    this.#maxTransactions = options.maxTransactions ?? 100;
  }

  /** A parked, still open session to `destination`, or undefined. */
  take(destination: string): ClientSession | undefined {
    const parked = this.#idle.get(destination);
    while (parked && parked.length > 0) {
      const { session, timer } = parked.pop()!;
      clearTimeout(timer);
      if (parked.length === 0) this.#idle.delete(destination);
      if (!session.usable) continue;
      session.socket?.ref();
      return session;
    }
    return undefined;
  }

  /** Parks `session` for later, or says goodbye to it when it cannot be kept. */
  give(destination: string, session: ClientSession): void {
    const parked = this.#idle.get(destination) ?? [];
    if (
      this.#closed ||
      !session.usable ||
      this.#idleTimeout <= 0 ||
      parked.length >= this.#maxIdle ||
      session.transactions >= this.#maxTransactions
    ) {
      session.quit();
      return;
    }
    const entry: Parked = {
      session,
      timer: setTimeout(() => {
        const list = this.#idle.get(destination);
        const at = list?.indexOf(entry) ?? -1;
        if (list && at >= 0) list.splice(at, 1);
        if (list?.length === 0) this.#idle.delete(destination);
        session.quit();
      }, this.#idleTimeout),
    };
    entry.timer.unref();
    session.socket?.unref();
    parked.push(entry);
    this.#idle.set(destination, parked);
  }

  /** How many sessions are parked (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const list of this.#idle.values()) n += list.filter((p) => p.session.usable).length;
    return n;
  }

  /** QUITs every parked session; later `give`s close at once. */
  close(): void {
    this.#closed = true;
    for (const list of this.#idle.values()) {
      for (const { session, timer } of list) {
        clearTimeout(timer);
        session.quit();
      }
    }
    this.#idle.clear();
  }
}
