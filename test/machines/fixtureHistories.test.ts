/**
 * Histories written by machine version 1, committed once and replayed forever after: a
 * change to a machine or an event payload that breaks old histories fails here (add an
 * upcaster, or bump the machine version with a migration, instead of editing the fixture).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { messageMachine } from '../../machines/message.machine.js';
import { smtpSessionMachine } from '../../machines/smtpSession.machine.js';
import type { RecordedEvent } from '../../src/eventlog/eventLog.js';
import { InvariantError } from '../../src/errors/mailtrailError.js';
import { replayEvents } from '../../src/replay/replay.js';

interface Fixture {
  stream: string;
  events: { type: string; revision: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[];
}

function load(name: string): { stream: string; events: RecordedEvent[] } {
  const f = JSON.parse(readFileSync(new URL(`../fixtures/histories/${name}`, import.meta.url), 'utf8')) as Fixture;
  return {
    stream: f.stream,
    events: f.events.map((e, i) => ({
      ...e,
      stream: f.stream,
      revision: BigInt(e.revision),
      position: BigInt(i + 1),
      recordedAt: '2026-11-25T12:00:00.000Z',
    })),
  };
}

describe('version 1 histories', () => {
  it('a v1 message history replays to delivered with both recipients crossed off', () => {
    const { stream, events } = load('message-v1.json');
    const out = replayEvents(messageMachine, stream, events);
    assert.equal(out.state, 'delivered');
    assert.equal(out.revision, 6n);
    assert.equal(out.snapshot.context.attempts, 2);
    assert.deepEqual(
      out.snapshot.context.recipients.map((r) => r.status),
      ['delivered', 'delivered'],
    );
  });

  it('a v1 operator bounce of a partly delivered message replays as it was recorded: delivered, the last 4.x.x kept', () => {
    const { stream, events } = load('message-v1-bounced.json');
    const out = replayEvents(messageMachine, stream, events);
    assert.equal(out.state, 'delivered');
    assert.deepEqual(
      out.snapshot.context.recipients.map((r) => [r.status, r.dsn]),
      [
        ['delivered', '2.0.0'],
        ['failed', '4.4.1'],
      ],
    );
  });

  it('the same bounce recorded today (schema 2) ends bounced with 5.0.0', () => {
    const { stream, events } = load('message-v1-bounced.json');
    const today = events.map((e) =>
      e.type === 'MessageBounced'
        ? { ...e, metadata: { ...e.metadata, schema: 2, machineVersion: 2, state: 'bounced' } }
        : e,
    );
    const out = replayEvents(messageMachine, stream, today);
    assert.equal(out.state, 'bounced');
    const carol = out.snapshot.context.recipients[1]!;
    assert.deepEqual([carol.status, carol.dsn], ['failed', '5.0.0']);
    assert.equal(
      carol.reply,
      'bounced by the operator; last attempt: 4.4.1 connect to mx.example.test: Connection refused',
    );
  });

  it('a v1 session history replays to closed with its message listed', () => {
    const { stream, events } = load('session-v1.json');
    const out = replayEvents(smtpSessionMachine, stream, events);
    assert.equal(out.state, 'closed');
    assert.deepEqual(out.snapshot.context.messages, ['M1']);
    assert.equal(out.snapshot.context.refusals, 1);
  });

  it('a history whose stored state disagrees with the machine fails loudly, naming stream and revision', () => {
    const { stream, events } = load('message-v1.json');
    const tampered = events.map((e) =>
      e.revision === 2n ? { ...e, metadata: { ...e.metadata, state: 'deferred' } } : e,
    );
    assert.throws(
      () => replayEvents(messageMachine, stream, tampered),
      (err: unknown) =>
        err instanceof InvariantError && /message-M1@2/.test(err.message) && /recorded deferred/.test(err.message),
    );
  });

  it('a history with an event the state does not handle fails loudly instead of skipping it', () => {
    const { stream, events } = load('message-v1.json');
    const reordered = [events[0]!, events[2]!, events[1]!];
    assert.throws(
      () => replayEvents(messageMachine, stream, reordered),
      /message-M1@2: RelayAttempted is not accepted in state received/,
    );
  });
});
