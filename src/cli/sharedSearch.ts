/**
 * `mailtrail search` on a shared log (PostgreSQL), which has no `message_search` index: the
 * message streams are folded once (summaries, and the Subject and Message-Id recorded in
 * MessageReceived) and the same criteria are applied in memory, newest first. Slower than the
 * sqlite index on a long history, but every node's CLI sees every node's messages.
 */
import type { EventLog } from '../eventlog/eventLog.js';
import { type Found, matchesAddress, type SearchCriteria } from '../readmodel/messageSearch.js';
import { type MessageFold, type MessageSummary, foldMessage, isFinalState } from '../readmodel/messageSummary.js';
import { MESSAGE_STREAM_PREFIX } from '../mail/streamNames.js';

interface Folded {
  fold: MessageFold;
  summary: MessageSummary;
  subject: string | null;
  headerMessageId: string | null;
}

function matches(f: Folded, c: SearchCriteria): boolean {
  const s = f.summary;
  if (c.from && !matchesAddress(c.from, s.sender)) return false;
  if (c.to && !s.recipients.some((r) => matchesAddress(c.to!, r.address))) return false;
  if (c.since && s.receivedAt < c.since) return false;
  if (c.states?.length) {
    const final = isFinalState(s.state);
    if (!c.states.some((st) => st === s.state || (st === 'live' && !final) || (st === 'final' && final))) return false;
  }
  if (c.subject && !(f.subject ?? '').toLowerCase().includes(c.subject.toLowerCase())) return false;
  if (c.sessionId && s.sessionId !== c.sessionId) return false;
  return true;
}

export async function searchSharedLog(
  log: EventLog,
  c: SearchCriteria,
  limit: number,
): Promise<{ found: Found[]; more: boolean }> {
  const byId = new Map<string, Folded>();
  for await (const e of log.readAll({ filter: { streamPrefixes: [MESSAGE_STREAM_PREFIX] } })) {
    const id = e.stream.slice(MESSAGE_STREAM_PREFIX.length);
    const before = byId.get(id);
    const fold = foldMessage(before?.fold, e);
    if (!fold) continue;
    const summary = fold.summary;
    const d = e.data as { subject?: unknown; headerMessageId?: unknown };
    byId.set(
      id,
      before
        ? { ...before, fold, summary }
        : {
            fold,
            summary,
            subject: typeof d.subject === 'string' ? d.subject : null,
            headerMessageId: typeof d.headerMessageId === 'string' ? d.headerMessageId : null,
          },
    );
  }
  const hits = [...byId.values()]
    .filter((f) => matches(f, c))
    .sort(
      (a, b) => b.summary.receivedAt.localeCompare(a.summary.receivedAt) || b.summary.id.localeCompare(a.summary.id),
    );
  const found = hits.slice(0, limit).map(
    ({ summary: s, subject, headerMessageId }): Found => ({
      id: s.id,
      sender: s.sender,
      recipients: s.recipients.map((r) => r.address),
      subject,
      headerMessageId,
      receivedAt: s.receivedAt,
      state: s.state,
      sessionId: s.sessionId,
      parentId: s.parentId,
      origin: s.origin,
      bodyInSpool: subject !== null,
    }),
  );
  return { found, more: hits.length > limit };
}
