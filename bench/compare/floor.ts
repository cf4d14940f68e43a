/**
 * The floor: the least a durable MDA in Node can do per message, run by `npm run bench --
 * compare --floor` beside Postfix and mailtrail under the same load, so that a target ratio can
 * be told apart from what this machine allows at all. Written by hand because it is the
 * measuring stick, not a product: no history, no state machine, no policies, no log lines.
 *
 * Per message: smtp-server (the same library and greeting seam as the daemon, no reverse
 * lookup, greeted at once) collects the body in memory; every message that ended in one
 * event-loop turn is inserted (a row with the body as a BLOB) in one SQLite transaction (WAL,
 * synchronous=FULL) and answered 250 after its COMMIT. With `maildir`, each is then delivered as
 * the daemon's Maildir relay does (tmp file written and fsynced, linked into new/, the tmp name
 * unlinked, one fsync of new/ shared by the deliveries linked meanwhile; 20 at a time, as
 * Postfix's destination concurrency) and marked done in the next such transaction. With
 * `accept`, the row is written done. `SELECT count(*) FROM messages WHERE done = 1` tells the
 * bench when all are final.
 *
 * Usage: node --import tsx bench/compare/floor.ts <dir> <accept|maildir>; prints `port <n>`.
 */
import { mkdirSync } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EdgeSMTPServer } from '../../src/edge/edgeConnection.js';
import { DirectorySync } from '../../src/relay/directorySync.js';

const [dir, mode] = process.argv.slice(2);
if (!dir || (mode !== 'accept' && mode !== 'maildir')) {
  console.error('usage: floor.ts <dir> <accept|maildir>');
  process.exit(64);
}
const maildir = join(dir, 'mail');
for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(maildir, sub), { recursive: true });

const db = new Database(join(dir, 'floor.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, body BLOB, done INTEGER NOT NULL)');
const insert = db.prepare('INSERT INTO messages (id, body, done) VALUES (?, ?, ?)');
const markDone = db.prepare('UPDATE messages SET done = 1 WHERE id = ?');

type Write = { kind: 'insert'; id: number; body: Buffer; ack: () => void } | { kind: 'done'; id: number };
let pending: Write[] = [];
let scheduled = false;
/** One transaction, one fsync, for everything that arrived in this event-loop turn. */
function commit(): void {
  scheduled = false;
  const batch = pending;
  pending = [];
  db.transaction(() => {
    for (const w of batch) {
      if (w.kind === 'insert') insert.run(w.id, w.body, mode === 'accept' ? 1 : 0);
      else markDone.run(w.id);
    }
  })();
  for (const w of batch) {
    if (w.kind !== 'insert') continue;
    w.ack();
    if (mode === 'maildir') deliverLater(w.id, w.body);
  }
}
function write(w: Write): void {
  pending.push(w);
  if (!scheduled) {
    scheduled = true;
    setImmediate(commit);
  }
}

const directories = new DirectorySync();
const waiting: { id: number; body: Buffer }[] = [];
let running = 0;
let names = 0;
/** Deliveries at a time: 20 as Postfix's destination concurrency (FLOOR_CONCURRENCY to try others). */
const concurrency = Number(process.env.FLOOR_CONCURRENCY ?? 20);
function deliverLater(id: number, body: Buffer): void {
  waiting.push({ id, body });
  pump();
}
function pump(): void {
  while (running < concurrency && waiting.length > 0) {
    const next = waiting.shift()!;
    running += 1;
    void deliver(next.id, next.body).finally(() => {
      running -= 1;
      pump();
    });
  }
}
async function deliver(id: number, body: Buffer): Promise<void> {
  const name = `${Date.now()}.${process.pid}_${++names}.floor`;
  const tmp = join(maildir, 'tmp', name);
  const file = await open(tmp, 'wx', 0o600);
  try {
    await file.write(body);
    await file.sync();
  } finally {
    await file.close();
  }
  await link(tmp, join(maildir, 'new', name));
  await directories.sync(join(maildir, 'new'));
  await unlink(tmp);
  write({ kind: 'done', id });
}

let ids = 0;
const server = new EdgeSMTPServer(
  {
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    maxClients: 500,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => write({ kind: 'insert', id: ++ids, body: Buffer.concat(chunks), ack: () => callback() }));
    },
  },
  { greetDelay: 0 },
);
server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  console.log(`port ${typeof address === 'object' && address ? address.port : 0}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
