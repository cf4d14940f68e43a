/**
 * Metrics for `mailtrail run --metrics[=PORT]`: `startMetrics` instruments the daemon's event
 * log (append latency, batch sizes), follows its message events (received, delivered,
 * deferred, bounced, attempt latency), counts the queue by state and serves it all on
 * http://127.0.0.1:PORT/metrics. Call it after Daemon.create and before daemon.start(), so
 * the recovery's events are counted (the caller logs `url` after the daemon's first line).
 * Fails (EADDRINUSE …) before anything is listening.
 */
import { MailtrailError } from '../errors/mailtrailError.js';
import { appendHealthOf } from '../eventlog/appendHealth.js';
import type { EventLog } from '../eventlog/eventLog.js';
import type { Logger } from '../logging/logger.js';
import type { Queue } from '../queue/queue.js';
import { instrumentAppend, queueStatesOf } from './eventLogMetrics.js';
import { followMessages } from './messageMetrics.js';
import { createMetrics, type MailtrailMetrics } from './metricsRegistry.js';
import { DEFAULT_METRICS_PORT, startMetricsServer } from './metricsServer.js';

export { createMetrics, LIVE_STATES, type MailtrailMetrics } from './metricsRegistry.js';
export { followMessages, observeMessageEvent } from './messageMetrics.js';
export { instrumentAppend, queueStatesOf } from './eventLogMetrics.js';
export { DEFAULT_METRICS_PORT, startMetricsServer, type MetricsServer } from './metricsServer.js';

export interface RunningMetrics {
  readonly metrics: MailtrailMetrics;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** `--metrics` gives '' (the default port) or a port number; anything else is a usage error (exit 64). */
export function parseMetricsPort(value: string): number {
  if (value === '') return DEFAULT_METRICS_PORT;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new MailtrailError('ERR_USAGE', `--metrics=PORT: not a port number: ${JSON.stringify(value)}`);
  return Number(value);
}

export async function startMetrics(o: {
  log: EventLog;
  queue?: Queue;
  port?: number;
  host?: string;
  logger?: Logger;
}): Promise<RunningMetrics> {
  const metrics = createMetrics({ queueStates: queueStatesOf(o.log, o.queue), appendHealth: appendHealthOf(o.log) });
  const server = await startMetricsServer(
    metrics.registry,
    o.port ?? DEFAULT_METRICS_PORT,
    o.host ?? '127.0.0.1',
    o.logger,
  );
  instrumentAppend(o.log, metrics);
  const follower = followMessages(o.log, metrics, o.logger);
  const url = `http://${server.host}:${server.port}/metrics`;
  return {
    metrics,
    host: server.host,
    port: server.port,
    url,
    async close() {
      await Promise.all([server.close(), follower.close()]);
    },
  };
}
