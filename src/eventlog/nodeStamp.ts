/**
 * Every event a daemon writes names the node that wrote it: `stampNode(log, node)` wraps that
 * log instance's `append` in place (as appendHealth.ts and the metrics do, so the queue and
 * the edge, which hold the same instance, are stamped without a change) and adds
 * `metadata.node` to each event that does not name one already. `mailtrail history` shows it,
 * so on a shared log (several daemons on one PostgreSQL) the history says which node did what.
 */
import type { EventLog } from './eventLog.js';

const stamped = new WeakMap<EventLog, string>();

export function stampNode(log: EventLog, node: string): EventLog {
  if (stamped.has(log)) return log;
  stamped.set(log, node);
  const original = log.append.bind(log);
  log.append = (stream, events, options) =>
    original(
      stream,
      events.map((e) => (e.metadata?.node !== undefined ? e : { ...e, metadata: { ...e.metadata, node } })),
      options,
    );
  return log;
}

/** The node name this log instance stamps, if any. */
export function stampedNode(log: EventLog): string | undefined {
  return stamped.get(log);
}
