/**
 * Live mode: an event reaches the actor (and its actions run) only after its append is
 * durable; a failed append runs no action and leaves the actor where it was; an event the
 * state refuses is never appended.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { messageMachine, MESSAGE_MACHINE_VERSION } from '../../machines/message.machine.js';
import { ExpectedRevisionConflictError } from '../../src/eventlog/eventLog.js';
import { MemoryEventLog } from '../../src/eventlog/memory/memoryEventLog.js';
import { InvariantError } from '../../src/errors/mailtrailError.js';
import { EventSourcedActor } from '../../src/runtime/eventSourcedActor.js';
import { ev } from '../support/messageEvents.js';

const identity = { name: 'message', version: MESSAGE_MACHINE_VERSION };

function actorWith(log: MemoryEventLog, calls: string[], stream = 'message-M1') {
  return new EventSourcedActor({
    log,
    stream,
    identity,
    machine: messageMachine.provide({
      actions: { runPolicies: () => calls.push('runPolicies'), startAttempt: () => calls.push('startAttempt') },
    }),
  });
}

describe('EventSourcedActor', () => {
  it('appends with the state reached, then runs the entry action', async () => {
    const log = new MemoryEventLog();
    const calls: string[] = [];
    const a = actorWith(log, calls);
    assert.equal(await a.record(ev.received()), 'received');
    assert.deepEqual(calls, ['runPolicies']);
    const stored = [];
    for await (const e of log.readStream('message-M1')) stored.push(e);
    assert.equal(stored.length, 1);
    assert.deepEqual(stored[0]?.metadata, {
      schema: 1,
      machine: 'message',
      machineVersion: MESSAGE_MACHINE_VERSION,
      state: 'received',
    });
    assert.equal(stored[0]?.data.sender, 'alice@remote.test');
    assert.equal(a.lastRevision, 0n);
  });

  it('runs no action and stays put when the append fails', async () => {
    const log = new MemoryEventLog();
    const calls: string[] = [];
    const a = actorWith(log, calls);
    await a.record(ev.received());
    // Another writer took revision 1: this actor's append must conflict.
    await log.append('message-M1', [{ type: 'MessageHeld', data: { at: ev.at(1) }, metadata: {} }], {
      expectedRevision: 0n,
    });
    await assert.rejects(a.record(ev.policies()), ExpectedRevisionConflictError);
    assert.equal(a.state, 'received');
    assert.deepEqual(calls, ['runPolicies']);
  });

  it('never appends an event the state refuses', async () => {
    const log = new MemoryEventLog();
    const a = actorWith(log, []);
    await a.record(ev.received());
    await assert.rejects(a.record(ev.attempt(1, ['bob@example.test'])), InvariantError);
    let count = 0;
    for await (const _ of log.readStream('message-M1')) count += 1;
    assert.equal(count, 1);
  });

  it('serializes records: an action that records again waits for the record that triggered it', async () => {
    const log = new MemoryEventLog();
    let a: EventSourcedActor<typeof messageMachine> | undefined;
    const order: string[] = [];
    a = new EventSourcedActor({
      log,
      stream: 'message-M2',
      identity,
      machine: messageMachine.provide({
        actions: {
          runPolicies: () => {
            order.push('runPolicies');
            void a!.record(ev.policies()).then((s) => order.push(s));
          },
        },
      }),
    });
    await a.record(ev.received({ messageId: 'M2' }));
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(order, ['runPolicies', 'policies-applied']);
    assert.equal(a.lastRevision, 1n);
  });
});
