/**
 * What a user may type to name a history: a bare id (`0MWW…`), or the stream name `tail` and
 * `history` print (`message-0MWW…`, `session-…`). Returns the kinds of stream to look in, in
 * order, and the bare id. Pure.
 */
import { type HistoryKind, MESSAGE_STREAM_PREFIX, SESSION_STREAM_PREFIX } from '../mail/streamNames.js';

export type { HistoryKind } from '../mail/streamNames.js';

export function parseHistoryName(name: string): { readonly kinds: readonly HistoryKind[]; readonly id: string } {
  for (const [kind, prefix] of [
    ['message', MESSAGE_STREAM_PREFIX],
    ['session', SESSION_STREAM_PREFIX],
  ] as const) {
    if (name.startsWith(prefix) && name.length > prefix.length) return { kinds: [kind], id: name.slice(prefix.length) };
  }
  return { kinds: ['message', 'session'], id: name };
}
