/**
 * The stored snapshot is the fold: random message histories (seeded; a failure names its seed)
 * are appended to a real sqlite log with the inline projections — once by EventSourcedActors
 * (the queue's path: the projection takes the actor's own snapshot), once as raw appends (the
 * writer thread's and the CLI's path: the projection folds the stream) — and for every stream
 * resting in the queue (deferred, held, policies deferred) the row in `message_snapshots`
 * equals XState's persisted snapshot of replaying the stream, restores to a snapshot that takes
 * the next event the same way; a final message has no row, a message in a transient state at
 * most one behind its stream. A projection rebuild recomputes the same rows. A missing,
 * corrupt, older-machine or stale row is refused with its reason, so start-up folds instead.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageMachine, MESSAGE_MACHINE_VERSION } from '../../machines/message.machine.js';
import type { MessageEvent } from '../../machines/message.events.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { applyEvent, initialSnapshot, replay } from '../../src/replay/replay.js';
import type { MachineEventObject } from '../../src/replay/eventShape.js';
import { stateName } from '../../src/replay/stateName.js';
import { schemaOf } from '../../src/replay/upcasters.js';
import { inlineProjections, projectionTables } from '../../src/readmodel/inlineProjections.js';
import { isFinalState } from '../../src/readmodel/messageSummary.js';
import { persistSnapshot, restoreSnapshot } from '../../src/readmodel/messageSnapshot.js';
import { SNAPSHOT_TABLE, restsAfter, storedSnapshotFrom } from '../../src/readmodel/snapshotProjection.js';
import { EventSourcedActor } from '../../src/runtime/eventSourcedActor.js';
import { rebuildProjections } from '../../src/readmodel/projectionRebuild.js';
import { randomHistory, seeded, type HistoryStep } from '../support/randomHistory.js';

const CASES = 400;
const SEED = Number(process.env.SNAPSHOT_SEED ?? 20261202);

/** Append a history as the queue would: one append per step, the state reached in metadata. */
async function writeRaw(log: SqliteEventLog, id: string, steps: readonly HistoryStep[]): Promise<void> {
  let snapshot = initialSnapshot(messageMachine);
  let revision: bigint | null = null;
  for (const step of steps) {
    const data = step.events.map((event) => {
      const { type, ...payload } = event as MessageEvent & Record<string, unknown>;
      const schema1 = step.schema1 === true && type === 'MessageBounced';
      snapshot = applyEvent(
        messageMachine,
        snapshot,
        (schema1 ? { ...event, schema1: true } : event) as unknown as MachineEventObject,
        id,
      );
      return {
        type,
        data: payload,
        metadata: {
          schema: schema1 ? 1 : schemaOf(type),
          machine: 'message',
          machineVersion: MESSAGE_MACHINE_VERSION,
          state: stateName((snapshot as unknown as { value: never }).value),
        },
      };
    });
    const result = await log.append(`message-${id}`, data, { expectedRevision: revision ?? 'no_stream' });
    revision = result.nextExpectedRevision;
  }
}

/** The queue's way: an EventSourcedActor records each step (a schema-1 bounce as today's). */
async function writeByActor(log: SqliteEventLog, id: string, steps: readonly HistoryStep[]): Promise<void> {
  const actor = new EventSourcedActor({
    log,
    stream: `message-${id}`,
    machine: messageMachine,
    identity: { name: 'message', version: MESSAGE_MACHINE_VERSION },
  });
  for (const step of steps) await actor.record(...step.events);
  actor.stop();
}

describe('message snapshots (property: the stored snapshot equals the fold)', () => {
  let dir: string;
  let log: SqliteEventLog;
  let byActors: SqliteEventLog;
  const ids: string[] = [];
  const lastEvents = new Map<string, string>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailtrail-snapshots-'));
    log = new SqliteEventLog(join(dir, 'events.sqlite'), { projections: [...inlineProjections] });
    byActors = new SqliteEventLog(join(dir, 'actors.sqlite'), { projections: [...inlineProjections] });
    const random = seeded(SEED);
    for (let i = 0; i < CASES; i++) {
      const id = `P${i}`;
      ids.push(id);
      const history = randomHistory(random, id);
      lastEvents.set(id, history.at(-1)!.events.at(-1)!.type);
      await writeRaw(log, id, history);
      if (!history.some((step) => step.schema1)) await writeByActor(byActors, id, history);
    }
  });
  after(async () => {
    await log.close();
    await byActors.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps, for each of ${CASES} random histories, the persisted snapshot of its replay (none once final)`, async () => {
    const states = new Set<string>();
    let live = 0;
    let resting = 0;
    for (const id of ids) {
      const folded = await replay(log, `message-${id}`, messageMachine);
      states.add(folded.state);
      const stored = storedSnapshotFrom(log.database, id);
      if (isFinalState(folded.state)) {
        assert.equal(stored, undefined, `seed ${SEED}, ${id}: a final message (${folded.state}) keeps no snapshot`);
        continue;
      }
      live += 1;
      if (!restsAfter(lastEvents.get(id)!, folded.state)) {
        // In flight: no row, or one left behind by an earlier rest, which start-up refuses.
        if (stored)
          assert.ok(
            stored.revision < folded.revision!,
            `seed ${SEED}, ${id}: a row at the stream's revision for a transient state`,
          );
        continue;
      }
      resting += 1;
      assert.ok(stored, `seed ${SEED}, ${id}: no snapshot for a message resting in ${folded.state}`);
      assert.equal(stored.revision, folded.revision, `seed ${SEED}, ${id}: revision`);
      assert.equal(stored.machineVersion, MESSAGE_MACHINE_VERSION);
      // XState's own persisted form of the fold, not our serialiser's: the row must be exactly that.
      const expected = JSON.parse(JSON.stringify(messageMachine.getPersistedSnapshot(folded.snapshot))) as unknown;
      assert.deepEqual(JSON.parse(stored.json), expected, `seed ${SEED}, ${id}: snapshot differs from the fold`);
      const restored = restoreSnapshot(stored, folded.revision!);
      assert.ok(restored.ok, `seed ${SEED}, ${id}: restore`);
      assert.deepEqual(JSON.parse(JSON.stringify(messageMachine.getPersistedSnapshot(restored.snapshot))), expected);
      // The restored snapshot takes a next event exactly as the folded one does.
      for (const next of [
        { type: 'MessageHeld', at: '2030-01-01T00:00:00.000Z' },
        {
          type: 'RelayAttempted',
          attempt: folded.snapshot.context.attempts + 1,
          recipients: folded.snapshot.context.recipients.filter((r) => r.status === 'pending').map((r) => r.address),
          relay: 'x',
          at: '2030-01-01T00:00:00.000Z',
        },
      ]) {
        const can = (folded.snapshot as unknown as { can(e: unknown): boolean }).can(next);
        assert.equal((restored.snapshot as unknown as { can(e: unknown): boolean }).can(next), can);
        if (can)
          assert.equal(
            persistSnapshot(applyEvent(messageMachine, restored.snapshot, next, id)),
            persistSnapshot(applyEvent(messageMachine, folded.snapshot, next, id)),
          );
      }
    }
    assert.ok(resting > CASES / 10, `only ${resting} resting messages`);
    // The generator reached live and final messages in many states (else it proves little).
    assert.ok(live > CASES / 5, `only ${live} live messages`);
    for (const s of ['received', 'deferred', 'held', 'delivered', 'bounced', 'relay-attempted'])
      assert.ok(states.has(s), `no history ended in ${s}`);
  });

  it("stores the same rows when the queue's actors write the histories (their own snapshots)", () => {
    const rows = (db: SqliteEventLog['database']) =>
      db.prepare(`SELECT id, revision, machine_version, snapshot FROM ${SNAPSHOT_TABLE} ORDER BY id`).all() as {
        id: string;
      }[];
    const viaActors = rows(byActors.database);
    const onlyActorIds = new Set(viaActors.map((r) => r.id));
    assert.ok(viaActors.length > CASES / 10);
    assert.deepEqual(
      viaActors,
      rows(log.database).filter((r) => onlyActorIds.has(r.id)),
    );
    assert.equal(
      rows(log.database).filter((r) => !onlyActorIds.has(r.id)).length,
      0,
      'a message the actors skipped (schema-1 bounce) is final',
    );
  });

  it('recomputes the same rows in a projection rebuild', () => {
    const db = log.database;
    const rows = () =>
      db.prepare(`SELECT id, revision, machine_version, snapshot FROM ${SNAPSHOT_TABLE} ORDER BY id`).all();
    const beforeRebuild = rows();
    db.prepare(`UPDATE ${SNAPSHOT_TABLE} SET snapshot = '{' WHERE rowid % 3 = 0`).run();
    db.prepare(`DELETE FROM ${SNAPSHOT_TABLE} WHERE rowid % 3 = 1`).run();
    const result = rebuildProjections(
      db,
      inlineProjections,
      inlineProjections.flatMap((p) => projectionTables[p.name] ?? []),
    );
    assert.equal(result.rows[SNAPSHOT_TABLE], beforeRebuild.length);
    assert.deepEqual(rows(), beforeRebuild);
  });

  it('carries a stream forward from its history when the row is missing or damaged', async () => {
    const deferred = ids.filter(
      (i) => JSON.parse(storedSnapshotFrom(log.database, i)?.json ?? '{}').value === 'deferred',
    );
    assert.ok(deferred.length >= 2);
    log.database.prepare(`DELETE FROM ${SNAPSHOT_TABLE} WHERE id = ?`).run(deferred[0]);
    log.database.prepare(`UPDATE ${SNAPSHOT_TABLE} SET snapshot = '{' WHERE id = ?`).run(deferred[1]);
    for (const id of deferred.slice(0, 2)) {
      const folded = await replay(log, `message-${id}`, messageMachine);
      const retried = applyEvent(
        messageMachine,
        folded.snapshot,
        { type: 'RetryRequested', at: '2030-01-01T00:00:00.000Z' },
        id,
      );
      await log.append(
        `message-${id}`,
        [
          {
            type: 'RetryRequested',
            data: { at: '2030-01-01T00:00:00.000Z' },
            metadata: { schema: 1, machine: 'message', machineVersion: MESSAGE_MACHINE_VERSION, state: 'deferred' },
          },
        ],
        { expectedRevision: folded.revision! },
      );
      const stored = storedSnapshotFrom(log.database, id);
      assert.equal(stored?.revision, folded.revision! + 1n);
      assert.equal(stored?.json, persistSnapshot(retried));
    }
  });

  it('refuses a missing, corrupt, older-machine or stale snapshot, naming why', () => {
    const id = ids.find((i) => storedSnapshotFrom(log.database, i))!;
    const stored = storedSnapshotFrom(log.database, id)!;
    const problem = (r: ReturnType<typeof restoreSnapshot>) => (r.ok ? 'ok' : r.problem);
    assert.equal(problem(restoreSnapshot(stored, stored.revision)), 'ok');
    assert.equal(problem(restoreSnapshot(undefined, stored.revision)), 'missing');
    assert.equal(problem(restoreSnapshot({ ...stored, json: '{"status":"active"' }, stored.revision)), 'corrupt');
    assert.equal(
      problem(
        restoreSnapshot(
          { ...stored, json: JSON.stringify({ ...JSON.parse(stored.json), value: 'no-such-state' }) },
          stored.revision,
        ),
      ),
      'corrupt',
    );
    assert.equal(
      problem(restoreSnapshot({ ...stored, machineVersion: MESSAGE_MACHINE_VERSION - 1 }, stored.revision)),
      'machine-version',
    );
    assert.equal(problem(restoreSnapshot(stored, stored.revision + 1n)), 'behind');
  });
});
