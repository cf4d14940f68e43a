/**
 * A real queue for tests: sqlite event log with the messages projection, file spool, native
 * Maildir relay and the three header policies, all in a temporary directory. `waitFor`
 * polls until a message reaches a state (tests assert outcomes, never timings).
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { addDateHeader, addMessageIdHeader, addReceivedHeader } from '../../src/policies/index.js';
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import type { Relay } from '../../src/relay/relay.js';
import { inlineProjections } from '../../src/readmodel/inlineProjections.js';
import { messageSummaryFrom, recoverySourceFrom } from '../../src/readmodel/messagesProjection.js';
import { Queue, type QueueOptions } from '../../src/queue/queue.js';
import { Router } from '../../src/queue/router.js';
import { Spool } from '../../src/spool/spool.js';
import { waitUntil } from './waitUntil.js';

export interface Harness {
  dir: string;
  mailRoot: string;
  log: SqliteEventLog;
  queue: Queue;
  spool: Spool;
  stateOf(id: string): string | undefined;
  waitFor(id: string, states: string[], timeoutMs?: number): Promise<string>;
  restart(overrides?: Partial<QueueOptions>): Promise<void>;
  close(): Promise<void>;
}

export async function makeHarness(
  opts: { relay?: Relay; dir?: string; queue?: Partial<QueueOptions> } = {},
): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'mailtrail-q-'));
  const mailRoot = join(dir, 'mail');
  mkdirSync(mailRoot, { recursive: true });
  const relay = opts.relay ?? new MaildirRelay({ root: mailRoot, hostname: 'mx.example.test' });
  const build = (overrides: Partial<QueueOptions> = {}) => {
    const log = new SqliteEventLog(join(dir, 'events.sqlite'), { projections: [...inlineProjections] });
    const spool = new Spool(join(dir, 'spool'));
    const queue = new Queue({
      log,
      spool,
      router: new Router({ localDomains: ['example.test'], localRelay: relay }),
      hostname: 'mx.example.test',
      retry: { minBackoff: 30, maxBackoff: 200, maxLifetime: 60_000 },
      recovery: recoverySourceFrom(log.database),
      ...opts.queue,
      ...overrides,
    });
    queue.addPrequeuePolicy(addDateHeader).addPrequeuePolicy(addMessageIdHeader).addPrequeuePolicy(addReceivedHeader);
    return { log, spool, queue };
  };
  let parts = build();
  const h: Harness = {
    dir,
    mailRoot,
    get log() {
      return parts.log;
    },
    get queue() {
      return parts.queue;
    },
    get spool() {
      return parts.spool;
    },
    stateOf: (id) => messageSummaryFrom(parts.log.database, id)?.state,
    async waitFor(id, states, timeoutMs = 10_000) {
      try {
        return await waitUntil(
          () => {
            const s = h.stateOf(id);
            return s !== undefined && states.includes(s) && s;
          },
          { what: `message ${id} to be ${states.join('|')}`, timeoutMs },
        );
      } catch {
        throw new Error(`message ${id} is ${h.stateOf(id) ?? 'unknown'}, not ${states.join('|')}`);
      }
    },
    async restart(overrides) {
      await parts.queue.stop(1000);
      await parts.log.close();
      parts = build(overrides);
      await parts.queue.start();
    },
    async close() {
      await parts.queue.stop(1000);
      await parts.log.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await parts.queue.start();
  return h;
}

export const sampleBody = (subject = 'hello'): Buffer =>
  Buffer.from(
    `From: Alice <alice@remote.test>\r\nTo: bob@example.test\r\nSubject: ${subject}\r\n\r\nHi Bob,\r\nthis is a test.\r\n`,
  );
