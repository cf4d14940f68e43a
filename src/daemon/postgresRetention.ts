/**
 * Retention on the PostgreSQL log, which keeps no `messages` projection: the spool lists the
 * bodies it holds (complete ones), the log gives the last event of each one's message stream,
 * and a body has expired when that event left the message in a final state (its metadata, as
 * the machine recorded it) before the cut-off and the message's MessageReceived names that very
 * body. Anything else keeps its body: a stream that is missing (a body stored by a node that
 * died before its MessageReceived), a live message, a body another message points to. Several
 * nodes may run it at once: a body is removed once, the others find it gone.
 */
import type { PostgresEventLog } from '../eventlog/postgres/postgresEventLog.js';
import { messageIdOf, messageStream } from '../mail/streamNames.js';
import { isFinalState } from '../readmodel/messageStates.js';
import { refForId } from '../spool/bodyId.js';
import type { Spool } from '../spool/spool.js';
import type { RetentionStore } from './maintenance.js';

/** Message streams asked about per query. */
const CHUNK = 500;

export function postgresRetention(
  log: Pick<PostgresEventLog, 'lastEvents' | 'readStream' | 'deleteStreamsBefore'>,
  spool: Pick<Spool, 'list'>,
): RetentionStore {
  /** Does the message's MessageReceived name this body? */
  async function receivedWith(id: string, ref: string): Promise<boolean> {
    for await (const first of log.readStream(messageStream(id), { maxCount: 1 }))
      return first.type === 'MessageReceived' && first.data.bodyRef === ref;
    return false;
  }
  return {
    async expiredBodies(isoTime, limit) {
      const ids = await spool.list();
      const expired: { id: string; ref: string }[] = [];
      for (let i = 0; i < ids.length && expired.length < limit; i += CHUNK) {
        const last = await log.lastEvents(ids.slice(i, i + CHUNK).map(messageStream));
        for (const event of last) {
          const id = messageIdOf(event.stream);
          if (!id || event.recordedAt >= isoTime || !isFinalState(String(event.metadata.state))) continue;
          const ref = refForId(id);
          if (expired.length < limit && (await receivedWith(id, ref))) expired.push({ id, ref });
        }
      }
      return expired;
    },
    bodyRemoved: () => undefined,
    deleteStreamsBefore: (prefix, isoTime) => log.deleteStreamsBefore(prefix, isoTime),
  };
}
