/**
 * The sqlite log's writer thread (a worker_threads entry, started by ThreadCommit): it owns
 * the writing connection and group-commits off the daemon's event loop. Appends arriving while
 * a COMMIT (and its fsync) runs queue up in the port and go into the next batch, so one fsync
 * covers every append that arrived meanwhile, and the event loop never blocks in COMMIT.
 * The inline projections run here, inside each append's savepoint, as on the loop; they are
 * loaded from their modules (SqliteProjection.module), since functions cannot be sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { deleteStreamsBefore } from './retention.js';
import { EventWriter, type AppendRequest } from './eventWriter.js';
import { BatchCommitter, type BatchFailed, countBatch, recordFlush, type GroupCommitStats } from './groupCommit.js';
import { prepareWriter } from './schema.js';
import type { SqliteProjection } from './sqliteProjection.js';
import { errorToWire, type FromWriter, type ToWriter, type WireResult } from './writerWire.js';

export interface WriterThreadData {
  readonly path: string;
  readonly busyTimeoutMs: number;
  /** Each projection's module URL and name: the module exports an object with that name. */
  readonly projections: ReadonlyArray<{ readonly module: string; readonly name: string }>;
}

const port = parentPort!;
const data = workerData as WriterThreadData;
const send = (message: FromWriter) => port.postMessage(message);

async function loadProjections(): Promise<SqliteProjection[]> {
  return Promise.all(
    data.projections.map(async ({ module, name }) => {
      const exported = Object.values((await import(module)) as Record<string, unknown>).find(
        (value) =>
          (value as SqliteProjection | null)?.name === name && typeof (value as SqliteProjection).apply === 'function',
      );
      if (!exported) throw new Error(`projection ${name} is not exported by ${module}`);
      return exported as SqliteProjection;
    }),
  );
}

let db: Database.Database;
let committer: BatchCommitter<AppendRequest, ReturnType<EventWriter['append']>>;
try {
  db = new Database(data.path, { timeout: data.busyTimeoutMs });
  prepareWriter(db);
  const projections = await loadProjections();
  db.transaction(() => {
    for (const p of projections) p.setup(db);
  })();
  const writer = new EventWriter(db, projections);
  committer = new BatchCommitter(db, (request: AppendRequest) => writer.append(request, new Date().toISOString()));
} catch (error) {
  send({ kind: 'failed', error: errorToWire(error) });
  port.close();
  throw error;
}

const stats: GroupCommitStats = {
  batches: 0,
  commits: 0,
  appended: 0,
  rejected: 0,
  failedBatches: 0,
  largestBatch: 0,
  flushMsTotal: 0,
  flushMsMax: 0,
};
let queue: { id: number; request: AppendRequest }[] = [];
let scheduled: NodeJS.Immediate | undefined;

function flush(): void {
  if (scheduled) clearImmediate(scheduled);
  scheduled = undefined;
  const batch = queue;
  queue = [];
  if (batch.length === 0) return;
  const started = performance.now();
  let results: WireResult[];
  try {
    const outcomes = committer.commit(batch.map((b) => b.request));
    countBatch(stats, batch.length, outcomes);
    results = outcomes.map((o, i) =>
      o.ok
        ? { id: batch[i]!.id, ok: true, value: o.value }
        : { id: batch[i]!.id, ok: false, error: errorToWire(o.error) },
    );
  } catch (failed) {
    const { cause, outcomes } = failed as BatchFailed;
    countBatch(stats, batch.length, undefined);
    results = batch.map(({ id }, i) => {
      const own = outcomes[i];
      return { id, ok: false, error: own && !own.ok ? errorToWire(own.error) : errorToWire(cause, true) };
    });
  }
  recordFlush(stats, performance.now() - started);
  send({ kind: 'batch', results, stats });
}

port.on('message', (message: ToWriter) => {
  if (message.kind === 'appends') {
    for (const item of message.items) queue.push(item);
    scheduled ??= setImmediate(flush);
    return;
  }
  flush();
  try {
    if (message.kind === 'flush') send({ kind: 'done', id: message.id });
    else if (message.kind === 'deleteStreamsBefore')
      send({ kind: 'done', id: message.id, value: deleteStreamsBefore(db, message.prefix, message.isoTime) });
    else {
      db.close();
      send({ kind: 'done', id: message.id });
      port.close();
    }
  } catch (error) {
    send({ kind: 'failed', id: message.id, error: errorToWire(error) });
  }
});
