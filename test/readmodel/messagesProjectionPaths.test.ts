/**
 * The `messages` row is the machine's fold of the stream whichever way the projection got
 * there: from the appending actor's own fold handed along with each event (AppenderFold, on
 * the event loop and across to the writer thread alike), from the projection's cache of the
 * last fold (or the row when the cache has nothing at the previous revision) for appends made
 * without one (an operator's command).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MESSAGE_MACHINE_VERSION, messageMachine } from '../../machines/message.machine.js';
import type { MessageEvent } from '../../machines/message.events.js';
import type { RecordedEvent } from '../../src/eventlog/eventLog.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { inlineProjections } from '../../src/readmodel/inlineProjections.js';
import { foldMessageEvents } from '../../src/readmodel/messageSummary.js';
import { messageSummaryFrom } from '../../src/readmodel/messagesProjection.js';
import { EventSourcedActor } from '../../src/runtime/eventSourcedActor.js';
import { ev } from '../support/messageEvents.js';

const identity = { name: 'message', version: MESSAGE_MACHINE_VERSION };
const bob = 'bob@example.test';
const carol = 'carol@example.test';

/** Appends, as the queue makes them: policies with the first attempt, outcomes, a retry, the end. */
const appends: MessageEvent[][] = [
  [ev.received({ recipients: [bob, carol] })],
  [ev.policies(), ev.attempt(1, [bob, carol])],
  [ev.delivered(bob), ev.deferred(carol)],
  [ev.attempt(2, [carol])],
  [ev.failed(carol)],
];

/** A message actor as the queue makes it: it hands its fold to the projections. */
function foldSharingActor(log: SqliteEventLog, stream: string) {
  return new EventSourcedActor({ log, stream, machine: messageMachine, identity, shareFold: true });
}

async function rowAgainstFold(log: SqliteEventLog, id: string) {
  const events: RecordedEvent[] = [];
  for await (const e of log.readStream(`message-${id}`)) events.push(e);
  const fold = foldMessageEvents(events)!.summary;
  const row = messageSummaryFrom(log.database, id)!;
  return { row, fold };
}

for (const writer of ['loop', 'thread'] as const) {
  describe(`the messages projection, writer ${writer}`, () => {
    it('holds the fold of the stream after every append of an actor', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mailtrail-projpaths-'));
      const log = new SqliteEventLog(join(dir, 'events.sqlite'), { writer, projections: [...inlineProjections] });
      try {
        const actor = foldSharingActor(log, 'message-M1');
        for (const events of appends) {
          await actor.record(...events);
          const { row, fold } = await rowAgainstFold(log, 'M1');
          assert.deepEqual(row, fold, `after ${events.map((e) => e.type).join(', ')}`);
        }
        assert.equal(messageSummaryFrom(log.database, 'M1')!.state, 'delivered');
      } finally {
        await log.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('keeps the machine context in a live row only: a final state accepts no event to continue it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mailtrail-projpaths-'));
      const log = new SqliteEventLog(join(dir, 'events.sqlite'), { writer, projections: [...inlineProjections] });
      const context = () =>
        (log.database.prepare('SELECT context FROM messages WHERE id = ?').get('M1') as { context: string | null })
          .context;
      try {
        const actor = foldSharingActor(log, 'message-M1');
        for (const events of appends.slice(0, -1)) await actor.record(...events);
        assert.equal(messageSummaryFrom(log.database, 'M1')!.state, 'relay-attempted');
        assert.deepEqual(
          JSON.parse(context()!),
          JSON.parse(JSON.stringify(actor.snapshot.context)),
          'a live row holds the context',
        );
        await actor.record(...appends.at(-1)!);
        assert.equal(messageSummaryFrom(log.database, 'M1')!.state, 'delivered');
        assert.equal(context(), null, 'a final row holds none');
        const { row, fold } = await rowAgainstFold(log, 'M1');
        assert.deepEqual(row, fold);
      } finally {
        await log.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('folds appends made without the actor (no snapshots of its own) from the fold it kept', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mailtrail-projpaths-'));
      const log = new SqliteEventLog(join(dir, 'events.sqlite'), { writer, projections: [...inlineProjections] });
      try {
        const actor = new EventSourcedActor({ log, stream: 'message-M2', machine: messageMachine, identity });
        await actor.record(ev.received({ messageId: 'M2', recipients: [bob] }));
        // Not through the actor: no snapshots of its own for the projection to take.
        const { type, ...data } = ev.held();
        await log.append('message-M2', [{ type, data, metadata: { schema: 1, machine: 'message', state: 'held' } }], {
          expectedRevision: 0n,
        });
        const { type: t2, ...d2 } = ev.released();
        await log.append('message-M2', [{ type: t2, data: d2, metadata: { schema: 1, machine: 'message' } }], {
          expectedRevision: 1n,
        });
        const { row, fold } = await rowAgainstFold(log, 'M2');
        assert.deepEqual(row, fold);
        assert.equal(row.state, 'received');
      } finally {
        await log.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("takes the appender's fold as it is, and folds the stream itself without one", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mailtrail-projpaths-'));
      const log = new SqliteEventLog(join(dir, 'events.sqlite'), { writer, projections: [...inlineProjections] });
      const metadata = { schema: 1, machine: 'message', machineVersion: MESSAGE_MACHINE_VERSION, state: 'received' };
      try {
        // The fold an actor would hand along, with one field it could not have computed: the row
        // shows it, so the projection took the fold (across the thread too) instead of folding.
        const received = ev.received({ messageId: 'M3', recipients: [bob] });
        const actor = new EventSourcedActor({ log, stream: 'message-M9', machine: messageMachine, identity });
        await actor.record(ev.received({ messageId: 'M9', recipients: [bob] }));
        const honest = actor.snapshot.context;
        const { type, ...data } = received;
        await log.append(
          'message-M3',
          [
            {
              type,
              data,
              metadata,
              fold: { state: 'received', context: { ...honest, messageId: 'M3', attempts: 7 }, stateBefore: null },
            },
          ],
          { expectedRevision: 'no_stream' },
        );
        assert.equal(messageSummaryFrom(log.database, 'M3')!.attempts, 7);
        // The same event without a fold: the stream's own fold.
        await log.append('message-M4', [{ type, data: { ...data, messageId: 'M4' }, metadata }], {
          expectedRevision: 'no_stream',
        });
        const { row, fold } = await rowAgainstFold(log, 'M4');
        assert.deepEqual(row, fold);
        assert.equal(row.attempts, 0);
      } finally {
        await log.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
