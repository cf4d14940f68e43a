/**
 * What a user may type to name a history: a bare id (`0MWW…`), or the stream name `tail` and
 * `history` print (`message-0MWW…`, `session-…`). Returns the kinds of stream to look in, in
 * order, and the bare id. Pure.
 */
export type HistoryKind = 'message' | 'session';

export function parseHistoryName(name: string): { readonly kinds: readonly HistoryKind[]; readonly id: string } {
  const m = /^(message|session)-(.+)$/.exec(name);
  return m ? { kinds: [m[1] as HistoryKind], id: m[2]! } : { kinds: ['message', 'session'], id: name };
}
