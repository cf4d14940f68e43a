/**
 * DueScanner: on a shared log, each node looks for messages that need a node now (deferred
 * and due, or left by a node that died: see dueWork in sharedQueueView.ts) and adopts as
 * many as it has free delivery slots, whoever received them. It looks every `intervalMs` and
 * soon after the view changes. Adopting is only a try: the claim at the expected revision
 * decides which node works on a message; the others drop it.
 */
import type { SharedQueueView } from './sharedQueueView.js';

export interface DueScannerPorts {
  readonly view: SharedQueueView;
  readonly leaseMs: number;
  readonly now: () => number;
  /** Delivery slots free on this node now. */
  readonly freeSlots: () => number;
  /** Is this node working on the message already? */
  readonly isActive: (id: string) => boolean;
  /** Take the message up (replay its stream, resume it); failures are the queue's to log. */
  readonly adopt: (id: string) => void;
  /** Default: a third of the lease, at most 1 s. */
  readonly intervalMs?: number;
}

export class DueScanner {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly ports: DueScannerPorts) {}

  start(): void {
    const every = this.ports.intervalMs ?? Math.min(1000, Math.max(50, Math.floor(this.ports.leaseMs / 3)));
    this.timer = setInterval(() => this.scan(), every);
    this.timer.unref();
  }

  /** The view changed: look again shortly (coalesced). */
  nudge(): void {
    if (this.stopped || this.soon || !this.timer) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.scan();
    }, 50);
    this.soon.unref();
  }

  scan(): void {
    if (this.stopped) return;
    let free = this.ports.freeSlots();
    if (free <= 0) return;
    for (const id of this.ports.view.dueIds(this.ports.now(), this.ports.leaseMs)) {
      if (free <= 0) break;
      if (this.ports.isActive(id)) continue;
      this.ports.adopt(id);
      free -= 1;
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.soon);
  }
}
