/**
 * Benchmark: appends per second to the SQLite event log (temp dir, WAL, synchronous=FULL)
 * with 1, 16 and 256 concurrent appenders, each awaiting one single-event append at a time
 * for ~2 s, with the writer on the event loop and in its writer thread. Prints batches/s and
 * mean batch size (group commit at work), the time BEGIN…COMMIT+fsync takes, and
 * monitorEventLoopDelay p50/p99/max — i.e. "does committing stall SMTP sessions?". run() is called by bench/run.ts,
 * or directly: node --import tsx bench/eventlogAppend.bench.ts [seconds]. BENCH_DIR picks the disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { SqliteEventLog } from '../src/eventlog/sqlite/sqliteEventLog.js';

const CONCURRENCY = [1, 16, 256] as const;

interface CaseResult {
  appenders: number;
  appendsPerSec: number;
  batchesPerSec: number;
  meanBatch: number;
  flushMsMean: number;
  flushMsMax: number;
  loopDelayMs: { p50: number; p99: number; max: number };
}

const payload = {
  queueId: '4BfX2k1yRmz7',
  recipient: 'someone@example.org',
  relay: 'maildir',
  dsn: '2.0.0',
  status: 'sent',
  delayMs: 1234,
  note: 'delivered to /var/mail/someone/new/1700000000.M123P456.host',
};

async function runCase(log: SqliteEventLog, appenders: number, durationMs: number): Promise<CaseResult> {
  const before = { ...log.stats };
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const deadline = performance.now() + durationMs;
  let appends = 0;
  delay.enable();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: appenders }, async (_, id) => {
      const stream = `bench-${appenders}-${id}`;
      let expected: bigint | 'no_stream' = 'no_stream';
      while (performance.now() < deadline) {
        const result = await log.append(stream, [{ type: 'DeliverySucceeded', data: payload }], {
          expectedRevision: expected,
        });
        expected = result.nextExpectedRevision;
        appends++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  delay.disable();
  const batches = log.stats.batches - before.batches;
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  return {
    appenders,
    appendsPerSec: Math.round(appends / seconds),
    batchesPerSec: Math.round(batches / seconds),
    meanBatch: Math.round((appends / Math.max(batches, 1)) * 10) / 10,
    flushMsMean: Math.round(((log.stats.flushMsTotal - before.flushMsTotal) / Math.max(batches, 1)) * 100) / 100,
    flushMsMax: Math.round(log.stats.flushMsMax * 100) / 100,
    loopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
  };
}

export async function run(durationMs = 2000): Promise<void> {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'mailtrail-bench-'));
  try {
    console.log(`eventlog append (sqlite, WAL, synchronous=FULL) in ${dir}, ${durationMs} ms per case`);
    for (const writer of ['loop', 'thread'] as const)
      for (const appenders of CONCURRENCY) {
        // A fresh file per case, so flushMsMax and WAL checkpoints belong to that case.
        const log = new SqliteEventLog(join(dir, `events-${writer}-${appenders}.sqlite`), { writer });
        try {
          const r = await runCase(log, appenders, durationMs);
          console.log(
            `  writer ${writer.padEnd(6)} ${String(r.appenders).padStart(3)} appenders: ${r.appendsPerSec} appends/s, ${r.batchesPerSec} batches/s ` +
              `(mean ${r.meanBatch} appends/batch), commit takes ${r.flushMsMean} ms mean / ${r.flushMsMax} ms max${writer === 'loop' ? ' (on the loop)' : ' (in the writer thread)'}; ` +
              `event-loop delay p50 ${r.loopDelayMs.p50} ms, p99 ${r.loopDelayMs.p99} ms, max ${r.loopDelayMs.max} ms`,
          );
        } finally {
          await log.close();
        }
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run(process.argv[2] ? Number(process.argv[2]) * 1000 : undefined);
}
