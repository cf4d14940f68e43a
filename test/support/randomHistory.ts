/**
 * Random message histories for property tests: a seeded generator (mulberry32, so a failing
 * case is reproduced from its seed) drives the message machine's pure transition, at each step
 * drawing candidate events (outcomes for in-flight recipients, attempts for pending ones,
 * operator commands, policy results, expiry) and keeping one the current state accepts. Steps
 * come in groups the way the queue appends them (PoliciesApplied with the first attempt, an
 * attempt's outcomes together), and some operator bounces are written at schema 1 (upcast).
 */
import type { MessageEvent } from '../../machines/message.events.js';
import { messageMachine } from '../../machines/message.machine.js';
import { applyEvent, initialSnapshot } from '../../src/replay/replay.js';
import type { MachineEventObject } from '../../src/replay/eventShape.js';

export type Random = () => number;

export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

/** One append: the events written together, and whether the bounce in it is written at schema 1. */
export interface HistoryStep {
  readonly events: MessageEvent[];
  readonly schema1?: boolean;
}

type Snapshot = ReturnType<typeof initialSnapshot<typeof messageMachine>>;

const accepts = (s: Snapshot, e: MessageEvent): boolean => {
  const snap = s as unknown as { status: string; can(e: unknown): boolean };
  return snap.status === 'active' && snap.can(e);
};

/** A random history of `id` of up to `maxSteps` appends, every one accepted by the machine. */
export function randomHistory(r: Random, id: string, maxSteps = 14): HistoryStep[] {
  const base = Date.UTC(2026, 10, 25, 12, 0) + Math.floor(r() * 1e9);
  let clock = base;
  const at = () => {
    clock += Math.floor(r() * 600_000);
    return new Date(clock).toISOString();
  };
  const recipients = Array.from(
    { length: 1 + Math.floor(r() * 4) },
    (_, i) => `rcpt${i}@${pick(r, ['example.test', 'remote.test'])}`,
  );
  const received: MessageEvent = {
    type: 'MessageReceived',
    messageId: id,
    sender: r() < 0.1 ? '' : 'alice@remote.test',
    recipients,
    bodyRef: `bodies/${id}`,
    size: Math.floor(r() * 100_000),
    sha256: 'ab'.repeat(32),
    at: at(),
    sessionId: `S${Math.floor(r() * 1000)}`,
    client: { ip: '192.0.2.7', rdns: 'client.remote.test', helo: 'client.remote.test', protocol: 'ESMTP' },
    smtputf8: r() < 0.2,
    ...(r() < 0.2 ? { subject: 'Grüße', headerMessageId: `<${id}@remote.test>` } : {}),
  };
  const steps: HistoryStep[] = [{ events: [received] }];
  let s = applyEvent(messageMachine, initialSnapshot(messageMachine), received as unknown as MachineEventObject, id);
  for (let n = 0; n < maxSteps; n++) {
    const ctx = s.context;
    const pending = ctx.recipients.filter((x) => x.status === 'pending').map((x) => x.address);
    const inFlight = ctx.recipients.filter((x) => x.inFlight).map((x) => x.address);
    const attempt = (): MessageEvent => ({
      type: 'RelayAttempted',
      attempt: ctx.attempts + 1,
      recipients: pending,
      relay: pick(r, ['maildir', 'smtp,maildir']),
      at: at(),
    });
    const outcome = (recipient: string): MessageEvent => {
      const kind = r();
      const common = { recipient, relay: 'maildir', at: at() };
      if (kind < 0.5)
        return {
          type: 'DeliveryDeferred',
          ...common,
          status: '4.2.0',
          reply: `busy ${Math.floor(r() * 100)}`,
          nextAttemptAt: at(),
        };
      if (kind < 0.8) return { type: 'DeliverySucceeded', ...common, status: '2.0.0', reply: 'ok' };
      return { type: 'DeliveryFailed', ...common, status: '5.1.1', reply: 'user unknown' };
    };
    const candidates: { step: HistoryStep; weight: number }[] = [
      {
        step: {
          events: [
            {
              type: 'PoliciesApplied',
              headers: [`Received: by mx; ${at()}`],
              ...(r() < 0.2 ? { verdicts: { spam: r() } } : {}),
              at: at(),
            },
          ],
        },
        weight: 3,
      },
      {
        step: { events: [{ type: 'PoliciesDeferred', reason: 'spamd down', nextAttemptAt: at(), at: at() }] },
        weight: 1,
      },
      { step: { events: [attempt()] }, weight: 3 },
      { step: { events: inFlight.map(outcome) }, weight: 6 },
      { step: { events: inFlight.slice(0, 1).map(outcome) }, weight: 2 },
      { step: { events: [{ type: 'MessageExpired', at: at(), reason: 'message expired in the queue' }] }, weight: 0.3 },
      {
        step: {
          events: [{ type: 'MessageBounced', at: at(), reason: 'bounced by the operator', by: 'cli' }],
          ...(r() < 0.5 ? { schema1: true } : {}),
        },
        weight: 0.2,
      },
      { step: { events: [{ type: 'MessageHeld', at: at(), by: 'cli' }] }, weight: 0.7 },
      { step: { events: [{ type: 'MessageReleased', at: at(), by: 'cli' }] }, weight: 1 },
      { step: { events: [{ type: 'RetryRequested', at: at(), by: 'cli' }] }, weight: 0.7 },
      { step: { events: [{ type: 'MessageRequeued', at: at(), by: 'cli' }] }, weight: 0.3 },
      {
        step: {
          events: [
            {
              type: 'MessageSplit',
              children: pending.map((a, i) => ({ messageId: `${id}.${i}`, recipients: [a] })),
              at: at(),
            },
          ],
        },
        weight: 0.2,
      },
      { step: { events: [{ type: 'MessageDeleted', at: at(), by: 'cli' }] }, weight: 0.1 },
    ];
    if (pending.length > 0 && !ctx.policiesApplied) {
      // the queue's one-commit PoliciesApplied + first attempt
      candidates.push({
        step: {
          events: [
            { type: 'PoliciesApplied', headers: ['X-Test: 1'], at: at() },
            { type: 'RelayAttempted', attempt: ctx.attempts + 1, recipients: pending, relay: 'maildir', at: at() },
          ],
        },
        weight: 2,
      });
    }
    const usable: { step: HistoryStep; weight: number }[] = [];
    for (const c of candidates) {
      if (c.step.events.length === 0) continue;
      let t = s;
      let ok = true;
      for (const e of c.step.events) {
        // the upcaster marks a schema-1 bounce; the machine sees it so marked
        const seen = c.step.schema1 && e.type === 'MessageBounced' ? { ...e, schema1: true as const } : e;
        if (!accepts(t, seen)) {
          ok = false;
          break;
        }
        t = applyEvent(messageMachine, t, seen as unknown as MachineEventObject, id);
      }
      if (ok) usable.push(c);
    }
    if (usable.length === 0) break;
    let roll = r() * usable.reduce((sum, c) => sum + c.weight, 0);
    // biome-ignore lint/suspicious/noAssignInExpressions: a weighted pick walks the weights down.
    const chosen = usable.find((c) => (roll -= c.weight) < 0) ?? usable[usable.length - 1]!;
    steps.push(chosen.step);
    for (const e of chosen.step.events) {
      const seen = chosen.step.schema1 && e.type === 'MessageBounced' ? { ...e, schema1: true as const } : e;
      s = applyEvent(messageMachine, s, seen as unknown as MachineEventObject, id);
    }
    if ((s as unknown as { status: string }).status !== 'active') break;
    if (r() < 0.08) break; // some histories stop while live, in any state
  }
  return steps;
}
