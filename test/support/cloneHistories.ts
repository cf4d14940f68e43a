/**
 * Many messages fast, with real histories: copies the streams of messages a real Queue wrote
 * (say, deferred by a relay that is down) under new queue ids — every event as stored, the id
 * replaced wherever it appears — and their spool bodies, appended as the daemon appends them
 * but without a body fsync each. For tests and the restart bench, which need thousands of
 * deferred messages without waiting for thousands of attempts.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EventLog, JsonObject } from '../../src/eventlog/eventLog.js';
import { newQueueId } from '../../src/mail/queueId.js';
import { messageStream } from '../../src/mail/streamNames.js';

export async function cloneHistories(
  log: EventLog,
  bodiesDir: string,
  templates: readonly string[],
  count: number,
  onProgress?: (done: number) => void,
): Promise<string[]> {
  const histories = await Promise.all(
    templates.map(async (id) => {
      const events: { type: string; data: string; metadata: JsonObject }[] = [];
      for await (const e of log.readStream(messageStream(id)))
        events.push({ type: e.type, data: JSON.stringify(e.data), metadata: e.metadata });
      return { id, events };
    }),
  );
  const ids: string[] = [];
  for (let k = 0; k < count; k += 1000) {
    const appends: Promise<unknown>[] = [];
    for (let j = k; j < Math.min(count, k + 1000); j++) {
      const template = histories[j % histories.length]!;
      const id = newQueueId();
      ids.push(id);
      const events = template.events.map((e) => ({
        type: e.type,
        data: JSON.parse(e.data.split(template.id).join(id)) as JsonObject,
        metadata: e.metadata,
      }));
      if (existsSync(join(bodiesDir, template.id))) copyFileSync(join(bodiesDir, template.id), join(bodiesDir, id));
      appends.push(log.append(messageStream(id), events, { expectedRevision: 'no_stream' }));
    }
    await Promise.all(appends);
    onProgress?.(Math.min(count, k + 1000));
  }
  return ids;
}
