/**
 * Replay speed: builds a sqlite log of N events (default 1,000,000; BENCH_REPLAY_EVENTS to
 * change) made of 7-event message histories like the v1 fixture, then measures (a) reading
 * the whole log in global order and (b) replaying every stream through the message machine's
 * pure transition, as start-up would if it had no projection. Prints events/s; not a test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { messageMachine } from '../machines/message.machine.js';
import type { EventData, RecordedEvent } from '../src/eventlog/eventLog.js';
import { SqliteEventLog } from '../src/eventlog/sqlite/sqliteEventLog.js';
import { replayEvents } from '../src/replay/replay.js';

interface FixtureEvent {
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

function historyFor(id: string, template: FixtureEvent[]): EventData[] {
  return template.map((e) => ({
    type: e.type,
    data: e.type === 'MessageReceived' ? { ...e.data, messageId: id, bodyRef: `bodies/${id}` } : e.data,
    metadata: e.metadata,
  }));
}

export async function run(total = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000)): Promise<void> {
  const fixture = JSON.parse(
    readFileSync(new URL('../test/fixtures/histories/message-v1.json', import.meta.url), 'utf8'),
  ) as { events: FixtureEvent[] };
  const perStream = fixture.events.length;
  const streams = Math.ceil(total / perStream);
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-bench-replay-'));
  const log = new SqliteEventLog(join(dir, 'events.sqlite'));
  try {
    let t = performance.now();
    for (let i = 0; i < streams; i += 512) {
      const batch = [];
      for (let j = i; j < Math.min(streams, i + 512); j++)
        batch.push(log.append(`message-B${j}`, historyFor(`B${j}`, fixture.events), { expectedRevision: 'no_stream' }));
      await Promise.all(batch);
    }
    const events = streams * perStream;
    console.log(
      `replay: built a log of ${events.toLocaleString('en')} events in ${streams.toLocaleString('en')} streams in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    t = performance.now();
    let read = 0;
    const byStream = new Map<string, RecordedEvent[]>();
    for await (const e of log.readAll()) {
      read += 1;
      const list = byStream.get(e.stream);
      if (list) list.push(e);
      else byStream.set(e.stream, [e]);
    }
    const readSecs = (performance.now() - t) / 1000;
    console.log(
      `replay: readAll ${read.toLocaleString('en')} events in ${readSecs.toFixed(1)} s = ${Math.round(read / readSecs).toLocaleString('en')} events/s`,
    );

    t = performance.now();
    let folded = 0;
    for (const [stream, list] of byStream) {
      const r = replayEvents(messageMachine, stream, list);
      if (r.state !== 'delivered') throw new Error(`${stream} replayed to ${r.state}`);
      folded += r.events;
    }
    const foldSecs = (performance.now() - t) / 1000;
    console.log(
      `replay: folded ${folded.toLocaleString('en')} events through the message machine in ${foldSecs.toFixed(1)} s = ${Math.round(folded / foldSecs).toLocaleString('en')} events/s`,
    );

    const sample = [...byStream.keys()].slice(0, 2000);
    t = performance.now();
    let perStreamEvents = 0;
    for (const stream of sample) {
      const list: RecordedEvent[] = [];
      for await (const e of log.readStream(stream)) list.push(e);
      perStreamEvents += replayEvents(messageMachine, stream, list).events;
    }
    const psSecs = (performance.now() - t) / 1000;
    console.log(
      `replay: readStream + fold of ${sample.length} streams (start-up path) = ${Math.round(perStreamEvents / psSecs).toLocaleString('en')} events/s, ${Math.round(sample.length / psSecs).toLocaleString('en')} messages/s`,
    );
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
