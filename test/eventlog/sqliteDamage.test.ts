/**
 * A damaged database file, seen by the running log: an append that touches pages that are no
 * valid b-tree (SQLite's CORRUPT codes) rejects with EventLogDamagedError (451 4.3.0, naming
 * the file and what to do) on either writer, and writes nothing; appends that touch other pages
 * still work. The append-health watch then keeps the log failing until a restart, whatever
 * later appends do (a damaged file does not heal), and says so once, at fatal level.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { EventData } from '../../src/eventlog/eventLog.js';
import { appendHealthOf } from '../../src/eventlog/appendHealth.js';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { EventLogDamagedError } from '../../src/eventlog/sqlite/sqliteErrors.js';
import { inlineProjections } from '../../src/readmodel/inlineProjections.js';
import { damageRootPage } from '../support/damagedSqlite.js';
import { ev } from '../support/messageEvents.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function received(id: string): EventData {
  const { type, ...data } = ev.received({ messageId: id, recipients: ['bob@example.test'] });
  return { type, data, metadata: { schema: 1, machine: 'message', state: 'received' } };
}

const sessionEvent: EventData = { type: 'SessionClosed', data: { reason: 'quit' }, metadata: { schema: 1 } };

for (const writer of ['loop', 'thread'] as const) {
  describe(`a damaged event log file, writer ${writer}`, () => {
    it('rejects the append that meets the damage as EventLogDamagedError, and the health watch stays failing', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mailtrail-damage-'));
      dirs.push(dir);
      const path = join(dir, 'events.sqlite');
      const first = new SqliteEventLog(path, { writer, projections: [...inlineProjections] });
      await first.append('message-M1', [received('M1')], { expectedRevision: 'no_stream' });
      await first.close();
      // The search index's table: every new message writes to it, a session never does.
      damageRootPage(path, 'message_search');

      const log = new SqliteEventLog(path, { writer, projections: [...inlineProjections] });
      const lines: { level: number; msg: string; err?: { code?: string } }[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
      const health = appendHealthOf(log).configure({ node: 'n1', logger, probeInterval: 20 });
      try {
        const refused = await log.append('message-M2', [received('M2')], { expectedRevision: 'no_stream' }).then(
          () => undefined,
          (err: unknown) => err,
        );
        assert.ok(refused instanceof EventLogDamagedError, `rejected with ${String(refused)}`);
        assert.equal(refused.code, 'ERR_EVENTLOG_DAMAGED');
        assert.equal(`${refused.smtpCode} ${refused.enhancedStatus}`, '451 4.3.0');
        assert.match(refused.message, new RegExp(`event log ${path} is damaged .*A damaged event log`));
        assert.equal(health.failing?.damaged, true);

        // Other pages still work: a session's append succeeds, and nothing of M2 was written.
        await log.append('session-S1', [sessionEvent], { expectedRevision: 'no_stream' });
        const m2 = log.database.prepare("SELECT count(*) AS n FROM events WHERE stream = 'message-M2'").get() as {
          n: bigint;
        };
        assert.equal(Number(m2.n), 0);
        // … and yet the log stays failing: past several probe intervals, after a success.
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(health.failing?.damaged, true, 'still failing after a successful append');
        const fatal = lines.filter((l) => l.level === 60);
        assert.equal(fatal.length, 1, JSON.stringify(lines));
        assert.match(fatal[0]!.msg, /the event log is damaged: the SMTP edge refuses mail/);
        assert.equal(fatal[0]!.err?.code, 'ERR_EVENTLOG_DAMAGED');
        assert.deepEqual(
          lines.filter((l) => /succeed again/.test(l.msg)),
          [],
          'no recovery is announced for a damaged file',
        );
      } finally {
        await log.close();
      }
    });
  });
}
