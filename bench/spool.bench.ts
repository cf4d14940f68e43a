/**
 * Spool bench: files or BLOBs for message bodies? On this disk, 10 kB bodies, 1 and 32
 * concurrent writers, ~2 s each (MAILTRAIL_BENCH_SECONDS): (a) file + fsync + coalesced dir
 * fsync (the Spool); (b) BLOB in a better-sqlite3 WAL synchronous=FULL db, 1 row/txn;
 * (c) the same, group-committed up to 32 rows/txn; then (a)-(c) with 1 MiB bodies, 8 writers.
 * Runs in a temporary directory (MAILTRAIL_BENCH_DIR, default the OS tmpdir), removed after;
 * any I/O error fails the run. Prints a table.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { Spool } from '../src/spool/index.js';

const BODY_SIZE = 10 * 1024;
/** Supplementary run: large bodies, where a BLOB is written twice (WAL, then checkpoint). */
const LARGE_SIZE = 1024 * 1024;
const LARGE_WRITERS = 8;
const GROUP = 32;

interface Figures {
  readonly variant: string;
  readonly bodyKiB: number;
  readonly writers: number;
  readonly ops: number;
  readonly perSecond: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly note: string;
}

type Op = (writer: number, seq: number) => Promise<void>;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);
}

/** Runs `writers` loops of `op` for `ms`; each writer waits for its own op before the next. */
async function drive(writers: number, ms: number, op: Op): Promise<{ ops: number; seconds: number; lat: number[] }> {
  const lat: number[] = [];
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let seq = 0; performance.now() < end; seq++) {
        const t0 = performance.now();
        await op(w, seq);
        lat.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { ops: lat.length, seconds, lat };
}

function figures(
  variant: string,
  writers: number,
  r: { ops: number; seconds: number; lat: number[] },
  note: string,
  body: Buffer,
): Figures {
  return {
    variant,
    bodyKiB: body.length / 1024,
    writers,
    ops: r.ops,
    perSecond: r.ops / r.seconds,
    p50ms: percentile(r.lat, 0.5),
    p99ms: percentile(r.lat, 0.99),
    note,
  };
}

async function benchFiles(dir: string, writers: number, ms: number, body: Buffer): Promise<Figures> {
  const spool = new Spool(join(dir, `files-${writers}-${body.length}`));
  const r = await drive(writers, ms, (w, seq) => spool.store(`w${w}-${seq}`, [body]).then(() => undefined));
  return figures(
    '(a) file + fsync + coalesced dir fsync',
    writers,
    r,
    `${(spool.dirSyncCount / r.ops).toFixed(2)} dir fsyncs/body`,
    body,
  );
}

function openDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE bodies (id TEXT PRIMARY KEY, body BLOB NOT NULL)');
  return db;
}

async function benchBlobEach(dir: string, writers: number, ms: number, body: Buffer): Promise<Figures> {
  const db = openDb(join(dir, `each-${writers}-${body.length}.db`));
  const insert = db.prepare('INSERT INTO bodies (id, body) VALUES (?, ?)');
  try {
    const r = await drive(writers, ms, async (w, seq) => {
      insert.run(`w${w}-${seq}`, body); // autocommit: one row, one transaction, one WAL fsync
      await yieldTurn(); // let the other writers in; better-sqlite3 is synchronous
    });
    return figures('(b) sqlite WAL FULL blob, 1 row/txn', writers, r, 'writers serialise on the event loop', body);
  } finally {
    db.close();
  }
}

/** Collects rows submitted in the same turn and commits up to GROUP of them per transaction. */
class GroupCommitter {
  private queue: Array<{ id: string; body: Buffer; done: () => void }> = [];
  private scheduled = false;
  txns = 0;
  rows = 0;
  private readonly insertMany: (rows: Array<{ id: string; body: Buffer }>) => void;

  constructor(db: Database.Database) {
    const insert = db.prepare('INSERT INTO bodies (id, body) VALUES (@id, @body)');
    this.insertMany = db.transaction((rows: Array<{ id: string; body: Buffer }>) => {
      for (const row of rows) insert.run(row);
    });
  }

  submit(id: string, body: Buffer): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ id, body, done });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, GROUP);
    this.insertMany(batch);
    this.txns++;
    this.rows += batch.length;
    for (const item of batch) item.done();
    if (this.queue.length > 0) setImmediate(() => this.flush());
    else this.scheduled = false;
  }
}

async function benchBlobGroup(dir: string, writers: number, ms: number, body: Buffer): Promise<Figures> {
  const db = openDb(join(dir, `group-${writers}-${body.length}.db`));
  try {
    const gc = new GroupCommitter(db);
    const r = await drive(writers, ms, (w, seq) => gc.submit(`w${w}-${seq}`, body));
    return figures(
      `(c) sqlite WAL FULL blob, <=${GROUP} rows/txn`,
      writers,
      r,
      `${(gc.rows / Math.max(1, gc.txns)).toFixed(1)} rows/txn`,
      body,
    );
  } finally {
    db.close();
  }
}

function print(rows: Figures[], dir: string, seconds: number): void {
  console.log(`\nspool bench: ${seconds} s per run, in ${dir} (removed)`);
  const head = ['variant', 'body KiB', 'writers', 'bodies/s', 'p50 ms', 'p99 ms', 'note'];
  const table = rows.map((f) => [
    f.variant,
    String(f.bodyKiB),
    String(f.writers),
    f.perSecond.toFixed(0),
    f.p50ms.toFixed(2),
    f.p99ms.toFixed(2),
    f.note,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === 6 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of table) console.log(line(r));
}

/** 76-character lines ending in CRLF, as a message body arrives. */
function mailLikeBody(size: number): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = i % 78 === 76 ? 13 : i % 78 === 77 ? 10 : 97 + (i % 26);
  return body;
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.MAILTRAIL_BENCH_SECONDS ?? 2);
  const ms = seconds * 1000;
  const dir = mkdtempSync(join(process.env.MAILTRAIL_BENCH_DIR ?? tmpdir(), 'mailtrail-spool-bench-'));
  const rows: Figures[] = [];
  const runs: Array<[number, number]> = [
    [BODY_SIZE, 1],
    [BODY_SIZE, 32],
    [LARGE_SIZE, LARGE_WRITERS],
  ];
  try {
    for (const [size, writers] of runs) {
      const body = mailLikeBody(size);
      rows.push(await benchFiles(dir, writers, ms, body));
      rows.push(await benchBlobEach(dir, writers, ms, body));
      rows.push(await benchBlobGroup(dir, writers, ms, body));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  print(rows, dir, seconds);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
