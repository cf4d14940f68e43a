/**
 * The `messages` row is the machine's fold of the stream whichever way the projection got
 * there: on the event loop from the writing actor's own snapshots (pendingSnapshots.ts), in
 * the writer thread from its cache of the last fold (or the row when the cache has nothing
 * at the previous revision), and for appends made without an actor (an operator's command).
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
        const actor = new EventSourcedActor({ log, stream: 'message-M1', machine: messageMachine, identity });
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
        const actor = new EventSourcedActor({ log, stream: 'message-M1', machine: messageMachine, identity });
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
  });
}
