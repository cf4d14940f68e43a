/**
 * The sqlite writer parses each appended event once and hands the same RecordedEvent to every
 * inline projection (EventWriter.append), with the stored data, metadata, revision and position.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../src/eventlog/eventLog.js';
import { SqliteEventLog, type SqliteProjection } from '../../src/eventlog/sqlite/index.js';

const seeing = (name: string, seen: RecordedEvent[]): SqliteProjection => ({
  name,
  setup(_db: Database.Database) {},
  apply(_db: Database.Database, event: RecordedEvent) {
    seen.push(event);
  },
});

it('hands every projection the same parsed event, once per appended event', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-projection-input-'));
  const a: RecordedEvent[] = [];
  const b: RecordedEvent[] = [];
  const log = new SqliteEventLog(join(dir, 'events.sqlite'), { projections: [seeing('a', a), seeing('b', b)] });
  try {
    await log.append(
      's-1',
      [
        { type: 'One', data: { n: 1 }, metadata: { schema: 1 } },
        { type: 'Two', data: { n: 2, list: ['x'] }, metadata: { schema: 1 } },
      ],
      { expectedRevision: 'no_stream' },
    );
    assert.equal(a.length, 2);
    assert.equal(b.length, 2);
    for (let i = 0; i < 2; i++) assert.equal(a[i], b[i], 'the very same object: parsed once');
    assert.deepEqual(
      a.map((e) => [e.type, e.revision, e.data]),
      [
        ['One', 0n, { n: 1 }],
        ['Two', 1n, { n: 2, list: ['x'] }],
      ],
    );
    const stored = [];
    for await (const e of log.readStream('s-1')) stored.push(e.position);
    assert.deepEqual(
      a.map((e) => e.position),
      stored,
    );
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
