/**
 * `mailtrail search` over the `message_search` inline projection that a real queue kept while
 * it appended: by sender, recipient, state, time, and subject (read lazily from the candidates'
 * spooled headers, RFC 2047 decoded). Also: the index rows exist without any search having run,
 * the recipient query uses the index, and a log written before the index gets it filled once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../src/eventlog/sqlite/sqliteEventLog.js';
import { inlineProjections } from '../../src/readmodel/inlineProjections.js';
import { messagesProjection } from '../../src/readmodel/messagesProjection.js';
import { parseAddressPattern, searchPage } from '../../src/readmodel/messageSearch.js';
import { parseSince } from '../../src/cli/searchCommand.js';
import { decodeEncodedWords } from '../../src/cli/subjectReader.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { runCli, writeCliConfig } from './cliProcess.js';

interface Found {
  id: string;
  state: string;
  sender: string;
  recipients: string[];
  subject: string | null;
  messageId: string | null;
}

describe('mailtrail search', () => {
  let h: Harness;
  let config: string;
  const ids: Record<string, string> = {};
  const cli = (...args: string[]) => runCli([...args, '--config', config]);
  const found = async (...args: string[]): Promise<Found[]> => {
    const r = await cli('search', '--json', ...args);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Found[];
  };
  const idsOf = (list: Found[]) => list.map((f) => f.id).sort();

  before(async () => {
    h = await makeHarness({
      queue: { retry: { minBackoff: 3_600_000, maxBackoff: 3_600_000, maxLifetime: 86_400_000 } },
    });
    config = writeCliConfig(h.dir);
    const enqueue = async (
      name: string,
      sender: string,
      recipients: string[],
      subject: string,
      state: string,
      sessionId?: string,
    ) => {
      ids[name] = await h.queue.enqueue({
        envelope: { sender, recipients },
        body: [sampleBody(subject)],
        ...(sessionId ? { sessionId } : {}),
      });
      await h.waitFor(ids[name]!, [state]);
    };
    await enqueue('invoice', 'Alice@Remote.test', ['carol@remote.test'], 'Invoice 42', 'deferred', '1k8rsession0001');
    await enqueue('report', 'dave@other.test', ['bob@example.test'], '=?utf-8?Q?Quarterly_r=C3=A9port?=', 'delivered');
    await enqueue(
      'both',
      'alice@remote.test',
      ['bob@example.test', 'erin@remote.test'],
      'Lunch',
      'deferred',
      '1k8rsession0001',
    );
    await enqueue('gone', 'dave@other.test', ['bob@example.test'], 'Invoice 43', 'delivered');
    unlinkSync(join(h.dir, 'spool', 'bodies', ids.gone!)); // as spool maintenance does after bodyRetention
  });
  after(() => h.close());

  it('keeps one index row per message, written with the events (no search has run)', () => {
    const rows = h.log.database
      .prepare('SELECT id, state, sender, recipients FROM message_search ORDER BY received_at')
      .all();
    assert.deepEqual(rows, [
      { id: ids.invoice, state: 'deferred', sender: 'Alice@Remote.test', recipients: '["carol@remote.test"]' },
      { id: ids.report, state: 'delivered', sender: 'dave@other.test', recipients: '["bob@example.test"]' },
      {
        id: ids.both,
        state: 'deferred',
        sender: 'alice@remote.test',
        recipients: '["bob@example.test","erin@remote.test"]',
      },
      { id: ids.gone, state: 'delivered', sender: 'dave@other.test', recipients: '["bob@example.test"]' },
    ]);
  });

  it('finds the messages one SMTP session queued (--session)', async () => {
    assert.deepEqual(idsOf(await found('--session', '1k8rsession0001')), [ids.invoice, ids.both].sort());
    assert.deepEqual(
      idsOf(await found('--session', '1k8rsession0001', '--from', '@remote.test', '--to', 'erin@remote.test')),
      [ids.both],
    );
    assert.deepEqual(await found('--session', 'nosuchsession'), []);
  });

  it('finds by sender (exact in any case, or by domain) and by recipient', async () => {
    assert.deepEqual(idsOf(await found('--from', 'alice@remote.test')), [ids.invoice, ids.both].sort());
    assert.deepEqual(idsOf(await found('--from', '@other.test')), [ids.report, ids.gone].sort());
    assert.deepEqual(idsOf(await found('--to', 'ERIN@remote.test')), [ids.both]);
    assert.deepEqual(idsOf(await found('--to', 'remote.test')), [ids.invoice, ids.both].sort());
    assert.deepEqual(await found('--from', 'nobody@nowhere.test'), []);
  });

  it('finds by state (or live/final) and by time received', async () => {
    assert.deepEqual(idsOf(await found('--state', 'deferred')), [ids.invoice, ids.both].sort());
    assert.deepEqual(idsOf(await found('--state', 'final')), [ids.report, ids.gone].sort());
    assert.deepEqual(idsOf(await found('--state', 'live', '--to', 'example.test')), [ids.both]);
    assert.equal((await found('--since', '1h')).length, 4);
    assert.deepEqual(await found('--since', new Date(Date.now() + 60_000).toISOString()), []);
  });

  it('matches --subject, recorded at receipt and decoded, case-insensitively', async () => {
    // The subject is recorded at receipt, so "Invoice 43" matches though its body is gone.
    assert.deepEqual(idsOf(await found('--subject', 'invoice')), [ids.invoice, ids.gone].sort());
    const [report] = await found('--subject', 'RÉPORT');
    assert.equal(report?.id, ids.report);
    assert.equal(report?.subject, 'Quarterly réport');
    assert.match(report?.messageId ?? '', new RegExp(`^<\\d+\\.${ids.report}@mx\\.example\\.test>$`));
    assert.deepEqual(await found('--subject', 'lunch', '--from', 'dave@other.test'), []);
  });

  it('prints one line per message, newest first, and says when --limit cut the list', async () => {
    const r = await cli('search', '--from', 'other.test');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(
      lines[0]!,
      new RegExp(`^${ids.gone}\\s+\\S+Z  delivered\\s+<dave@other\\.test> → <bob@example\\.test>  "Invoice 43"$`),
    );
    assert.match(
      lines[1]!,
      new RegExp(
        `^${ids.report}\\s+\\S+Z  delivered\\s+<dave@other\\.test> → <bob@example\\.test>  "Quarterly réport"$`,
      ),
    );
    assert.equal(lines[2], '-- 2 messages');
    const limited = await cli('search', '--limit', '1');
    assert.match(limited.stdout, /^-- 1 message \(more match: raise --limit 1\)$/m);
  });

  it('refuses bad options with a usage error', async () => {
    const r = await cli('search', '--since', 'last week');
    assert.equal(r.code, 64);
    assert.match(r.stderr, /--since takes a duration/);
  });

  it('answers a recipient-domain query from the index', () => {
    const plan = h.log.database
      .prepare(`EXPLAIN QUERY PLAN SELECT id FROM message_search_rcpt WHERE domain = ?`)
      .all('remote.test') as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join('\n'), /USING (COVERING )?INDEX message_search_rcpt_domain/);
    assert.deepEqual(
      searchPage(h.log.database, { to: parseAddressPattern('remote.test') }, 10).map((r) => r.id),
      [ids.both, ids.invoice],
    );
  });
});

describe('the message_search index on a log written before it existed', () => {
  it('is filled from the message streams when the log is next opened writable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-search-'));
    try {
      const old = new SqliteEventLog(join(dir, 'events.sqlite'), { projections: [messagesProjection] });
      await old.append('message-OLD1', [
        {
          type: 'MessageReceived',
          data: {
            messageId: 'OLD1',
            sender: 'a@x.test',
            recipients: ['b@y.test'],
            bodyRef: 'bodies/OLD1',
            size: 1,
            sha256: '',
            at: '2026-01-01T00:00:00.000Z',
          },
          metadata: { state: 'received' },
        },
      ]);
      await old.append('message-OLD1', [
        { type: 'MessageHeld', data: { at: '2026-01-01T00:01:00.000Z' }, metadata: { state: 'held' } },
      ]);
      await old.close();
      const upgraded = new SqliteEventLog(join(dir, 'events.sqlite'), { projections: [...inlineProjections] });
      const rows = upgraded.database.prepare('SELECT id, sender, state, received_at FROM message_search').all();
      await upgraded.close();
      assert.deepEqual(rows, [
        { id: 'OLD1', sender: 'a@x.test', state: 'held', received_at: '2026-01-01T00:00:00.000Z' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('search helpers', () => {
  it('parses --since as a duration or an ISO time', () => {
    const now = Date.parse('2026-05-01T12:00:00.000Z');
    assert.equal(parseSince('90m', now), '2026-05-01T10:30:00.000Z');
    assert.equal(parseSince('2d', now), '2026-04-29T12:00:00.000Z');
    assert.equal(parseSince('2026-04-30T08:00:00+02:00', now), '2026-04-30T06:00:00.000Z');
  });

  it('decodes RFC 2047 encoded words, joining adjacent ones', () => {
    assert.equal(decodeEncodedWords('=?utf-8?B?SGVsbG8gV8O2cmxk?= again'), 'Hello Wörld again');
    assert.equal(decodeEncodedWords('=?ISO-8859-1?Q?caf=E9?= =?ISO-8859-1?Q?_cr=E8me?='), 'café crème');
  });

  it('reads address patterns: exact, domain, null sender', () => {
    assert.deepEqual(parseAddressPattern('<Bob@Example.TEST>'), { kind: 'address', address: 'bob@example.test' });
    assert.deepEqual(parseAddressPattern('@example.test'), { kind: 'domain', domain: 'example.test' });
    assert.deepEqual(parseAddressPattern('example.test'), { kind: 'domain', domain: 'example.test' });
    assert.deepEqual(parseAddressPattern('<>'), { kind: 'null' });
  });
});
