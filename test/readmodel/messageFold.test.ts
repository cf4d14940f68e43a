/**
 * The message summary is folded by the message machine itself: the summary and the machine's
 * context agree on nextAttemptAt after RelayAttempted and MessageReleased, an operator bounce
 * is 5.0.0 in both, and an event written by a newer machine version is refused with a typed
 * error instead of being folded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageEvent } from '../../machines/message.events.js';
import { MESSAGE_MACHINE_VERSION, messageMachine } from '../../machines/message.machine.js';
import type { RecordedEvent } from '../../src/eventlog/eventLog.js';
import { foldMessageEvents } from '../../src/readmodel/messageSummary.js';
import { NewerMachineVersionError } from '../../src/replay/machineVersionError.js';
import { schemaOf } from '../../src/replay/upcasters.js';
import { applyEvent, initialSnapshot } from '../../src/replay/replay.js';
import { ev } from '../support/messageEvents.js';

/** The events as the log returns them, with the metadata the runtime writes. */
function recorded(events: MessageEvent[], machineVersion = MESSAGE_MACHINE_VERSION): RecordedEvent[] {
  return events.map((e, i) => {
    const { type, ...data } = e;
    return {
      type,
      data: data as never,
      stream: 'message-M1',
      revision: BigInt(i),
      position: BigInt(i),
      metadata: { schema: schemaOf(type), machine: 'message', machineVersion },
      recordedAt: ev.at(0),
    };
  });
}

/** The live machine's context after the same events (what the queue acts on). */
function machineContext(events: MessageEvent[]) {
  let snap = initialSnapshot(messageMachine);
  events.forEach((e, i) => {
    snap = applyEvent(messageMachine, snap, e as never, `message-M1@${i}`);
  });
  return snap.context;
}

describe('the message summary, folded by the machine', () => {
  it('has no next attempt time while an attempt is under way, as the machine says', () => {
    const events: MessageEvent[] = [
      ev.received({ recipients: ['bob@example.test'] }),
      ev.policies(),
      ev.attempt(1, ['bob@example.test']),
      ev.deferred('bob@example.test'),
      ev.attempt(2, ['bob@example.test']),
    ];
    const summary = foldMessageEvents(recorded(events))!.summary;
    assert.equal(summary.state, 'relay-attempted');
    assert.equal(summary.nextAttemptAt, null);
    assert.equal(machineContext(events).nextAttemptAt, null);
  });

  it('is due at the release when a message held before its policies ran is released, as the machine says', () => {
    const events: MessageEvent[] = [ev.received(), ev.policiesDeferred(), ev.held(), ev.released()];
    const summary = foldMessageEvents(recorded(events))!.summary;
    assert.equal(summary.state, 'received');
    assert.equal(summary.nextAttemptAt, ev.at(21));
    assert.equal(machineContext(events).nextAttemptAt, ev.at(21));
  });

  it('fails a waiting recipient with 5.0.0 on an operator bounce, keeping the last reply readable', () => {
    const events: MessageEvent[] = [
      ev.received(),
      ev.policies(),
      ev.attempt(1, ['bob@example.test', 'carol@example.test']),
      ev.delivered('bob@example.test'),
      ev.deferred('carol@example.test'),
      ev.bounced(),
    ];
    const summary = foldMessageEvents(recorded(events))!.summary;
    assert.equal(summary.state, 'bounced');
    assert.deepEqual(
      summary.recipients.map((r) => [r.address, r.status, r.dsn]),
      [
        ['bob@example.test', 'delivered', '2.0.0'],
        ['carol@example.test', 'failed', '5.0.0'],
      ],
    );
    assert.match(summary.recipients[1]!.reply ?? '', /^bounced by operator; last attempt: 4\.2\.0 mailbox busy$/);
  });

  it('refuses an event written by a newer machine version with NewerMachineVersionError', () => {
    assert.throws(
      () => foldMessageEvents(recorded([ev.received()], MESSAGE_MACHINE_VERSION + 1)),
      (err: unknown) =>
        err instanceof NewerMachineVersionError &&
        err.code === 'ERR_MACHINE_VERSION' &&
        err.stored === MESSAGE_MACHINE_VERSION + 1 &&
        err.known === MESSAGE_MACHINE_VERSION,
    );
  });
});
