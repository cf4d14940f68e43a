/**
 * The daemon's Prometheus instruments (prom-client), in a registry of their own so two daemons
 * in one process (tests) never share counters. Names and meanings are documented in
 * docs/operations.md ("Metrics"); the feeders are messageMetrics.ts (the event log's message
 * events) and eventLogMetrics.ts (append latency, group-commit batches, queue by state).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MailtrailMetrics {
  readonly registry: Registry;
  readonly received: Counter<'origin'>;
  readonly delivered: Counter;
  readonly deferred: Counter;
  readonly bounced: Counter;
  readonly recipients: Counter<'outcome'>;
  readonly attemptSeconds: Histogram<'result'>;
  readonly appendSeconds: Histogram;
  readonly batchSize: Histogram;
  readonly queueMessages: Gauge<'state'>;
  readonly eventLogFailing: Gauge;
  readonly eventLogAppendFailures: Counter;
}

/** The live states of the message machine (read from its definition), reported even when no message is in them. */
export { LIVE_STATES } from '../readmodel/messageStates.js';

export interface MetricsOptions {
  /** Node's process and event-loop metrics (prom-client's defaults). Default true. */
  readonly defaultMetrics?: boolean;
  /** Live messages by state, read at each scrape. */
  readonly queueStates?: () => Record<string, number>;
  /** The event log's append health (eventlog/appendHealth.ts), read at each scrape. */
  readonly appendHealth?: { readonly failing: unknown; readonly totalFailures: number };
}

export function createMetrics(options: MetricsOptions = {}): MailtrailMetrics {
  const queueStates = options.queueStates;
  const health = options.appendHealth;
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    received: new Counter({
      name: 'mailtrail_messages_received_total',
      help: 'Messages queued (MessageReceived), by origin: smtp, dsn, split, local',
      labelNames: ['origin'],
      registers,
    }),
    delivered: new Counter({
      name: 'mailtrail_messages_delivered_total',
      help: 'Messages that reached the final state delivered',
      registers,
    }),
    deferred: new Counter({
      name: 'mailtrail_messages_deferred_total',
      help: 'Delivery attempts that left a message deferred (some recipients wait for a retry)',
      registers,
    }),
    bounced: new Counter({
      name: 'mailtrail_messages_bounced_total',
      help: 'Messages that reached the final state bounced (every recipient failed)',
      registers,
    }),
    recipients: new Counter({
      name: 'mailtrail_recipients_total',
      help: 'Recipient outcomes of delivery attempts: delivered, deferred, failed',
      labelNames: ['outcome'],
      registers,
    }),
    attemptSeconds: new Histogram({
      name: 'mailtrail_delivery_attempt_seconds',
      help: 'Delivery attempt latency, from RelayAttempted to the last outcome, by the state reached',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    appendSeconds: new Histogram({
      name: 'mailtrail_eventlog_append_seconds',
      help: 'Event-log append latency, from append() to durable (includes waiting for the group commit)',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    batchSize: new Histogram({
      name: 'mailtrail_eventlog_batch_size',
      help: 'Appends per committed group-commit transaction (sqlite event log only)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    queueMessages: new Gauge({
      name: 'mailtrail_queue_messages',
      help: 'Live messages by state',
      labelNames: ['state'],
      registers,
      collect() {
        if (!queueStates) return;
        this.reset();
        for (const [state, n] of Object.entries(queueStates())) this.set({ state }, n);
      },
    }),
    eventLogFailing: new Gauge({
      name: 'mailtrail_eventlog_append_failing',
      help: '1 while event-log appends fail (disk full, database unreachable) and the SMTP edge answers 4xx at MAIL and DATA; 0 otherwise',
      registers,
      collect() {
        if (health) this.set(health.failing ? 1 : 0);
      },
    }),
    eventLogAppendFailures: new Counter({
      name: 'mailtrail_eventlog_append_failures_total',
      help: 'Event-log appends that failed for a storage reason (not revision conflicts)',
      registers,
      collect() {
        if (!health) return;
        this.reset();
        this.inc(health.totalFailures);
      },
    }),
  };
}
