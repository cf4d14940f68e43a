/**
 * The claim and lease logic of shared mode, through the event-log port only: two "nodes" (two
 * EventSourcedActors on the real message machine, each over its own adapter instance on one
 * store) replay a message and claim its attempt at once with [AttemptClaimed, RelayAttempted]
 * at the revision each read; exactly one append lands, the other is a lost race
 * (ExpectedRevisionConflictError). While the lease runs, the loser's claim is refused by the
 * machine; the holder renews; once the lease ran out (the holder died), the other node takes
 * the attempt over with a new one. Every adapter runs it: memory, sqlite, PostgreSQL, the
 * KurrentDB adapter over its fake client, and a real KurrentDB when
 * KURRENTDB_CONNECTION_STRING is set (test/queue/claims.test.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { messageMachine } from '../../machines/message.machine.js';
import type { EventLog } from '../../src/eventlog/eventLog.js';
import { claimEvent, lostRace } from '../../src/queue/attemptClaims.js';
import { MESSAGE_IDENTITY } from '../../src/queue/queue.js';
import { replay } from '../../src/replay/replay.js';
import { EventSourcedActor } from '../../src/runtime/eventSourcedActor.js';

export interface ClaimsSubject {
  /** Two adapter instances on one store, as two daemons would hold. */
  readonly logs: readonly [EventLog, EventLog];
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 11, 2, 6, 0, 0);
const LEASE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
let counter = 0;

async function nodeActor(log: EventLog, stream: string) {
  const replayed = await replay(log, stream, messageMachine);
  return new EventSourcedActor({ log, stream, machine: messageMachine, identity: MESSAGE_IDENTITY, from: replayed });
}

const attempt = (n: number, at: number) => ({
  type: 'RelayAttempted' as const,
  attempt: n,
  recipients: ['bob@example.test'],
  relay: 'maildir',
  at: iso(at),
});

export function claimsContract(name: string, open: () => Promise<ClaimsSubject>): void {
  describe(`claims and leases on ${name}`, () => {
    it('lets one of two nodes claim an attempt at the same revision; the other loses the race, then takes over once the lease ran out', async () => {
      const subject = await open();
      const [a, b] = subject.logs;
      const id = `C${process.pid}x${Date.now().toString(36)}x${counter++}`;
      const stream = `message-${id}`;
      const actors: EventSourcedActor<typeof messageMachine>[] = [];
      try {
        const first = await nodeActor(a, stream);
        actors.push(first);
        await first.record(
          {
            type: 'MessageReceived',
            messageId: id,
            sender: 'alice@remote.test',
            recipients: ['bob@example.test'],
            bodyRef: `bodies/${id}`,
            size: 1,
            sha256: 'ab'.repeat(32),
            at: iso(T0),
          },
          { type: 'PoliciesApplied', headers: [], at: iso(T0) },
        );
        // Both nodes read the stream at the same revision and claim at once.
        const mx1 = await nodeActor(a, stream);
        const mx2 = await nodeActor(b, stream);
        actors.push(mx1, mx2);
        const results = await Promise.allSettled([
          mx1.record(claimEvent({ node: 'mx1', leaseMs: LEASE }, 1, T0 + 1000), attempt(1, T0 + 1000)),
          mx2.record(claimEvent({ node: 'mx2', leaseMs: LEASE }, 1, T0 + 1000), attempt(1, T0 + 1000)),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(won.length, 1, 'exactly one claim lands');
        assert.equal(lost.length, 1);
        assert.ok(lostRace(lost[0]!.reason), `the loser sees a lost race, got ${String(lost[0]!.reason)}`);
        const winner = results[0]!.status === 'fulfilled' ? 'mx1' : 'mx2';
        const other = winner === 'mx1' ? 'mx2' : 'mx1';
        const holder = winner === 'mx1' ? mx1 : mx2;

        // The holder renews while its attempt runs.
        await holder.record(claimEvent({ node: winner, leaseMs: LEASE }, 1, T0 + 20_000));
        assert.deepEqual(holder.snapshot.context.claim, { node: winner, leaseUntil: iso(T0 + 20_000 + LEASE) });

        // The other node, reading now, may not claim while the lease runs: the machine refuses.
        const early = await nodeActor(winner === 'mx1' ? b : a, stream);
        actors.push(early);
        await assert.rejects(
          early.record(claimEvent({ node: other, leaseMs: LEASE }, 2, T0 + 30_000), attempt(2, T0 + 30_000)),
          (err: unknown) => lostRace(err),
        );

        // The holder dies; after its lease the other node takes the attempt over.
        const late = await nodeActor(winner === 'mx1' ? b : a, stream);
        actors.push(late);
        const after = T0 + 20_000 + LEASE;
        assert.equal(
          await late.record(claimEvent({ node: other, leaseMs: LEASE }, 2, after), attempt(2, after)),
          'relay-attempted',
        );
        assert.equal(late.snapshot.context.attempts, 2);
        assert.deepEqual(late.snapshot.context.claim, { node: other, leaseUntil: iso(after + LEASE) });
        // The dead holder's late outcome is not recorded: its revision is gone.
        await assert.rejects(
          holder.record({
            type: 'DeliverySucceeded',
            recipient: 'bob@example.test',
            status: '2.0.0',
            reply: 'ok',
            relay: 'maildir',
            at: iso(after + 1),
          }),
          (err: unknown) => lostRace(err),
        );
        await late.record({
          type: 'DeliverySucceeded',
          recipient: 'bob@example.test',
          status: '2.0.0',
          reply: 'ok',
          relay: 'maildir',
          at: iso(after + 2),
        });
        assert.equal(late.state, 'delivered');
        const final = await replay(a, stream, messageMachine);
        assert.equal(final.snapshot.value, 'delivered');
        assert.equal(final.snapshot.context.claim, undefined, 'the claim ended with its attempt');
      } finally {
        for (const actor of actors) actor.stop();
        await subject.cleanup();
      }
    });
  });
}
