/**
 * Feeds the message counters from the event log: a subscription from the log's end over the
 * `message-` streams, so nothing in the queue changes for metrics. Each stored event says the
 * state it led to (`metadata.state`); that decides delivered, bounced and deferred. Attempt
 * latency runs from a RelayAttempted's `at` to the event that leaves `relay-attempted`.
 * `observeMessageEvent` is pure bookkeeping (tested alone); `followMessages` runs it live.
 */
import type { EventLog, RecordedEvent } from '../eventlog/eventLog.js';
import type { Logger } from '../logging/logger.js';
import type { MailtrailMetrics } from './metricsRegistry.js';
import { MESSAGE_STREAM_PREFIX, messageIdOf } from '../mail/streamNames.js';

const OUTCOMES: Readonly<Record<string, string>> = {
  DeliverySucceeded: 'delivered',
  DeliveryDeferred: 'deferred',
  DeliveryFailed: 'failed',
};

/** Attempts in flight: message id → when its RelayAttempted happened (ms). */
export type AttemptClock = Map<string, number>;

const timeOf = (event: RecordedEvent): number => {
  const at = typeof event.data.at === 'string' ? Date.parse(event.data.at) : NaN;
  return Number.isNaN(at) ? Date.parse(event.recordedAt) : at;
};

export function observeMessageEvent(metrics: MailtrailMetrics, attempts: AttemptClock, event: RecordedEvent): void {
  const id = messageIdOf(event.stream);
  if (id === undefined) return;
  const state = typeof event.metadata.state === 'string' ? event.metadata.state : undefined;
  const outcome = OUTCOMES[event.type];
  if (event.type === 'MessageReceived')
    metrics.received.inc({ origin: typeof event.data.origin === 'string' ? event.data.origin : 'smtp' });
  if (outcome) metrics.recipients.inc({ outcome });
  if (event.type === 'RelayAttempted') {
    attempts.set(id, timeOf(event));
  } else if (attempts.has(id) && state !== 'relay-attempted') {
    const seconds = Math.max(0, (timeOf(event) - attempts.get(id)!) / 1000);
    metrics.attemptSeconds.observe({ result: state ?? 'unknown' }, seconds);
    attempts.delete(id);
  }
  if (state === 'deferred' && outcome) metrics.deferred.inc();
  else if (state === 'delivered') metrics.delivered.inc();
  else if (state === 'bounced') metrics.bounced.inc();
}

/** Follows the log from its end until `close()` (or the log closes). */
export function followMessages(log: EventLog, metrics: MailtrailMetrics, logger?: Logger): { close(): Promise<void> } {
  const subscription = log.subscribe({ fromPosition: 'end', filter: { streamPrefixes: [MESSAGE_STREAM_PREFIX] } });
  const attempts: AttemptClock = new Map();
  const done = (async () => {
    try {
      for await (const event of subscription) observeMessageEvent(metrics, attempts, event);
    } catch (err) {
      logger?.error({ err }, 'metrics: the event-log subscription failed; message counters stop here');
    }
  })();
  return {
    async close() {
      await subscription.close();
      await done;
    },
  };
}
