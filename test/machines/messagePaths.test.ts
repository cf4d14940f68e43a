/**
 * Every shortest path of the message machine (xstate/graph), played live through an
 * EventSourcedActor that appends to a log, then replayed from that log in a fold whose
 * action implementations throw: the same state and context, and no action called.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getShortestPaths } from 'xstate/graph';
import { messageMachine, MESSAGE_MACHINE_VERSION } from '../../machines/message.machine.js';
import type { MessageContext } from '../../machines/message.context.js';
import { MemoryEventLog } from '../../src/eventlog/memory/memoryEventLog.js';
import { EventSourcedActor } from '../../src/runtime/eventSourcedActor.js';
import { replay } from '../../src/replay/replay.js';
import { ev } from '../support/messageEvents.js';

const actionNames = [
  'runPolicies',
  'startAttempt',
  'deliver',
  'scheduleRetry',
  'cancelRetry',
  'enqueueChildren',
  'finalize',
] as const;

function eventsFor(snapshot: { value: unknown; context: MessageContext }) {
  const c = snapshot.context;
  const pending = c.recipients.filter((r) => r.status === 'pending').map((r) => r.address);
  const next = c.attempts < 2 && pending.length > 0 ? [ev.attempt(c.attempts + 1, pending)] : [];
  switch (snapshot.value) {
    case 'new':
      return [ev.received({ recipients: ['bob@example.test', 'carol@example.test'] })];
    case 'received':
      return [
        ev.policies(),
        ev.policiesDeferred(),
        ev.split([{ messageId: 'M1.1', recipients: ['bob@example.test'] }]),
        ev.expired(),
        ev.bounced(),
        ev.held(),
        ev.deleted(),
      ];
    case 'policies-applied':
      return [...next, ev.bounced(), ev.held(), ev.deleted()];
    case 'relay-attempted':
      return [
        ...c.recipients
          .filter((r) => r.inFlight)
          .flatMap((r) => [ev.delivered(r.address), ev.deferred(r.address), ev.failed(r.address)]),
        ...next,
        ev.deleted(),
      ];
    case 'deferred':
      return [...next, ev.retry(), ev.expired(), ev.bounced(), ev.held(), ev.deleted()];
    case 'held':
      return [ev.released(), ev.bounced(), ev.deleted()];
    default:
      return [];
  }
}

describe('message machine paths', () => {
  const paths = getShortestPaths(messageMachine, { events: eventsFor as never });

  it('the graph reaches every state a person can see', () => {
    const reached = new Set(paths.map((p) => String(p.state.value)));
    for (const s of [
      'received',
      'policies-applied',
      'relay-attempted',
      'deferred',
      'held',
      'delivered',
      'bounced',
      'split',
      'deleted',
    ]) {
      assert.ok(reached.has(s), `no path reaches ${s}`);
    }
  });

  it(`replays each of the paths to the state the live actor reached, calling no action`, async () => {
    assert.ok(paths.length > 20, `only ${paths.length} paths`);
    for (const [i, path] of paths.entries()) {
      const log = new MemoryEventLog();
      const stream = `message-P${i}`;
      const called: string[] = [];
      const live = new EventSourcedActor({
        log,
        stream,
        machine: messageMachine.provide({
          actions: Object.fromEntries(actionNames.map((n) => [n, () => called.push(n)])),
        }),
        identity: { name: 'message', version: MESSAGE_MACHINE_VERSION },
      });
      for (const step of path.steps) {
        if (step.event.type.startsWith('xstate.')) continue;
        await live.record(step.event as never);
      }
      const throwing = messageMachine.provide({
        actions: Object.fromEntries(
          actionNames.map((n) => [
            n,
            () => {
              throw new Error(`replay called ${n}`);
            },
          ]),
        ),
      });
      const replayed = await replay(log, stream, throwing);
      const liveSnap = live.snapshot;
      assert.deepEqual(replayed.snapshot.value, liveSnap.value, `path ${i}`);
      assert.deepEqual(replayed.snapshot.context, liveSnap.context, `path ${i}`);
      assert.equal(replayed.revision, live.lastRevision);
      if (path.steps.length > 1) assert.ok(called.length > 0, `live path ${i} ran no action`);
      live.stop();
      await log.close();
    }
  });
});
