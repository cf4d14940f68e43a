/**
 * The event log's stream names, the only place their prefixes are written: one `message-<id>`
 * stream per queued message, `session-<id>` per SMTP session that reached MAIL, a daily
 * `probes-<yyyy-mm-dd>` for sessions that did not, and `daemon-<node>` for the daemon's own
 * events. Ids are queue ids (queueId.ts) or session ids, so a name parses back unambiguously.
 */

export const MESSAGE_STREAM_PREFIX = 'message-';
export const SESSION_STREAM_PREFIX = 'session-';
export const PROBES_STREAM_PREFIX = 'probes-';
export const DAEMON_STREAM_PREFIX = 'daemon-';

export const messageStream = (id: string): string => `${MESSAGE_STREAM_PREFIX}${id}`;
export const sessionStream = (id: string): string => `${SESSION_STREAM_PREFIX}${id}`;
/** The day's probes stream for a time given as ISO-8601. */
export const probesStream = (at: string): string => `${PROBES_STREAM_PREFIX}${at.slice(0, 10)}`;
export const daemonStream = (node: string): string => `${DAEMON_STREAM_PREFIX}${node}`;

/** The message id of a `message-<id>` stream; undefined for any other stream. */
export function messageIdOf(stream: string): string | undefined {
  return stream.startsWith(MESSAGE_STREAM_PREFIX) ? stream.slice(MESSAGE_STREAM_PREFIX.length) : undefined;
}

/** The kinds of history a user can name (`mailtrail history`), and their stream. */
export type HistoryKind = 'message' | 'session';
export const historyStream = (kind: HistoryKind, id: string): string =>
  kind === 'message' ? messageStream(id) : sessionStream(id);
