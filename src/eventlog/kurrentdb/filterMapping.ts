/**
 * The port's EventFilter → a server-side $all filter plus a client-side check. The server
 * takes one filter: stream-name prefixes if given, else event-type prefixes (a superset of
 * the exact types), else "exclude system events". Whatever the server cannot express
 * (prefixes AND types, exact type names, $-prefixed streams) is checked again in process
 * with the port's matchesFilter, so the client-side check is always the final word.
 */
import { eventTypeFilter, excludeSystemEvents, streamNameFilter, type Filter } from '@kurrent/kurrentdb-client';
import { matchesFilter, type EventFilter } from '../eventLog.js';
import { isSystemEvent } from './eventMapping.js';

/** The narrowest filter the server can apply for this EventFilter. */
export function toServerFilter(filter?: EventFilter): Filter {
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) {
    return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  }
  if (filter?.types && filter.types.length > 0) {
    return eventTypeFilter({ prefixes: [...filter.types] });
  }
  return excludeSystemEvents();
}

/** The in-process check applied to every record the server returns: no system events, then the port's filter. */
export function passesClientFilter(record: { streamId: string; type: string }, filter?: EventFilter): boolean {
  if (isSystemEvent(record.streamId, record.type)) return false;
  return matchesFilter({ stream: record.streamId, type: record.type }, filter);
}
