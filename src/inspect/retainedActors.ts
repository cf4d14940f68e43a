/**
 * What the relay keeps so that a viewer connecting late still sees every machine: per live
 * actor its registration (`@xstate.actor`, with the definition) and its last `trail` events
 * and snapshots, in order. An actor whose snapshot is no longer `active` (done, stopped,
 * error), or whose reporter disconnected, moves to a bounded list of finished actors (oldest
 * dropped first). `parseReport` accepts only the three inspection message types.
 */

export type ReportType = '@xstate.actor' | '@xstate.event' | '@xstate.snapshot';

export interface ReportMessage {
  readonly type: ReportType;
  readonly sessionId: string;
  readonly snapshot?: { readonly status?: string };
  readonly [key: string]: unknown;
}

const TYPES = new Set<string>(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);

/** The message if it is an inspection report (JSON object, known type, a session id), else undefined. */
export function parseReport(text: string): ReportMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.type !== 'string' || !TYPES.has(v.type) || typeof v.sessionId !== 'string' || v.sessionId === '')
    return undefined;
  return v as unknown as ReportMessage;
}

export interface RetentionLimits {
  /** Events and snapshots kept per actor after its registration. */
  readonly trail: number;
  /** Finished actors kept. */
  readonly finished: number;
  /** Live actors kept; beyond it the oldest is treated as finished. */
  readonly live: number;
}

export const DEFAULT_RETENTION: RetentionLimits = { trail: 50, finished: 100, live: 10_000 };

interface Entry {
  readonly registration: string;
  readonly trail: string[];
  readonly owner: number;
}

export class RetainedActors {
  private readonly live = new Map<string, Entry>();
  private readonly finished = new Map<string, Entry>();

  constructor(private readonly limits: RetentionLimits = DEFAULT_RETENTION) {}

  get liveCount(): number {
    return this.live.size;
  }

  get finishedCount(): number {
    return this.finished.size;
  }

  isLive(sessionId: string): boolean {
    return this.live.has(sessionId);
  }

  /** Keep `text` (the serialized `msg`) as sent by reporter `owner`. */
  record(msg: ReportMessage, text: string, owner: number): void {
    const id = msg.sessionId;
    if (msg.type === '@xstate.actor') {
      this.finished.delete(id);
      this.live.delete(id);
      this.live.set(id, { registration: text, trail: [], owner });
      if (this.live.size > this.limits.live) {
        const oldest = this.live.keys().next().value;
        if (oldest !== undefined) this.finish(oldest);
      }
    } else {
      // A registration converted late may already carry a final snapshot: its events still follow.
      const entry = this.live.get(id) ?? this.finished.get(id);
      if (!entry) return;
      entry.trail.push(text);
      if (entry.trail.length > this.limits.trail) entry.trail.splice(0, entry.trail.length - this.limits.trail);
    }
    const status = msg.type === '@xstate.event' ? undefined : msg.snapshot?.status;
    if (status !== undefined && status !== 'active') this.finish(id);
  }

  /** Reporter `owner` is gone: its actors will not change again. */
  retire(owner: number): void {
    for (const [id, entry] of [...this.live]) if (entry.owner === owner) this.finish(id);
  }

  /** Every retained message in order: finished actors first, then live ones, oldest first. */
  replay(): string[] {
    const out: string[] = [];
    for (const entry of [...this.finished.values(), ...this.live.values()])
      out.push(entry.registration, ...entry.trail);
    return out;
  }

  private finish(id: string): void {
    const entry = this.live.get(id);
    if (!entry) return;
    this.live.delete(id);
    this.finished.set(id, entry);
    while (this.finished.size > this.limits.finished) {
      const oldest = this.finished.keys().next().value;
      if (oldest === undefined) break;
      this.finished.delete(oldest);
    }
  }
}
