/**
 * Event-log metrics. `instrumentAppend` replaces one log instance's `append` with a timed one,
 * so the queue and the edge, which hold that same instance, are measured without a change.
 * With the sqlite adapter each settled append also reads the group-commit counters: the
 * commits since the last look and the appends they carried give the batch sizes (one commit
 * per look in practice, so the sizes are exact). `queueStatesOf` counts live messages by state.
 */
import type { EventLog } from '../eventlog/eventLog.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import type { Queue } from '../queue/queue.js';
import { LIVE_STATES } from '../readmodel/messageStates.js';
import type { MailtrailMetrics } from './metricsRegistry.js';

const instrumented = new WeakSet<EventLog>();

export function instrumentAppend(log: EventLog, metrics: MailtrailMetrics): void {
  if (instrumented.has(log)) return;
  instrumented.add(log);
  const original = log.append.bind(log);
  const sqlite = log instanceof SqliteEventLog ? log : undefined;
  let seen = sqlite
    ? { commits: sqlite.stats.commits, requests: sqlite.stats.appended + sqlite.stats.rejected }
    : undefined;
  const sampleBatches = (): void => {
    if (!sqlite || !seen) return;
    const { commits, appended, rejected } = sqlite.stats;
    const batches = commits - seen.commits;
    const requests = appended + rejected - seen.requests;
    seen = { commits, requests: appended + rejected };
    if (batches <= 0) return;
    // One commit is the usual case; several are split evenly (their total is exact).
    for (let i = 0; i < batches; i++) metrics.batchSize.observe(Math.round(requests / batches));
  };
  log.append = (stream, events, options) => {
    const end = metrics.appendSeconds.startTimer();
    return original(stream, events, options).finally(() => {
      end();
      sampleBatches();
    });
  };
}

/** Live messages by state: the sqlite `messages` projection, else the queue's own count. */
export function queueStatesOf(log: EventLog, queue?: Queue): () => Record<string, number> {
  const hasProjection =
    log instanceof SqliteEventLog &&
    log.database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'").get() !== undefined;
  if (log instanceof SqliteEventLog && hasProjection) {
    const query = log.database.prepare('SELECT state, COUNT(*) AS n FROM messages WHERE live = 1 GROUP BY state');
    return () => {
      const out: Record<string, number> = Object.fromEntries(LIVE_STATES.map((s) => [s, 0]));
      try {
        for (const row of query.all() as { state: string; n: number }[]) out[row.state] = Number(row.n);
      } catch {
        return {}; // the log closed under a late scrape
      }
      return out;
    };
  }
  return (): Record<string, number> => (queue ? { live: queue.size } : {});
}
