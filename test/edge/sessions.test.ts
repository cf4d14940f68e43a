/**
 * What the edge records: one `session-<id>` stream per connection that sent MAIL (replayed
 * to `closed` with its messages), SessionReset before a MAIL that follows an unfinished
 * transaction, one SessionProbed (and no stream) for a connection that never sent MAIL,
 * MAIL/RCPT replies that do not wait for the session's appends, and a failing log that is
 * logged while the client is still served.
 */
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import assert from 'node:assert/strict';
import { smtpSessionMachine } from '../../machines/smtpSession.machine.js';
import type { EventLog } from '../../src/eventlog/eventLog.js';
import { EventLogWriteError } from '../../src/eventlog/sqlite/sqliteErrors.js';
import { replay } from '../../src/replay/replay.js';
import { SESSION_ID_PATTERN } from '../../src/mail/sessionId.js';
import { SmtpTestClient, converse } from './conversation.js';
import { type EdgeHarness, message, queuedId, startEdge, types, until } from './edgeHarness.js';

async function sessionOf(e: EdgeHarness, messageId: string): Promise<string> {
  const [received] = await e.events(`message-${messageId}`);
  const id = (received!.data as { sessionId?: string }).sessionId;
  assert.ok(id, 'MessageReceived names its session');
  return id;
}

const closedStream = (e: EdgeHarness, stream: string) =>
  until(async () => {
    const ev = await e.events(stream);
    return ev.some((x) => x.type === 'SessionClosed') ? ev : undefined;
  }, `${stream} closed`);

describe('SMTP session recording', () => {
  let e: EdgeHarness;
  before(async () => {
    e = await startEdge();
  });
  after(() => e.close());

  it('a delivered message’s session stream replays to closed with the message listed', async () => {
    const seen = await converse(e.port, [
      { server: /^220 / },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      { client: 'MAIL FROM:<alice@remote.test> SIZE=200' },
      { server: /^250 / },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: /^250 / },
      { client: 'RCPT TO:<eve@elsewhere.test>' },
      { server: /^550 5\.7\.1 / },
      { client: 'DATA' },
      { server: /^354 / },
      { raw: message() },
      { server: /^250 2\.0\.0 Ok: queued as / },
      { client: 'QUIT' },
      { server: /^221 / },
      { closed: true },
    ]);
    const id = queuedId(seen);
    const stream = `session-${await sessionOf(e, id)}`;
    const events = await closedStream(e, stream);
    assert.deepEqual(types(events), [
      'SessionConnected',
      'ClientGreeted',
      'MailFromAccepted',
      'RecipientAccepted',
      'RecipientRefused',
      'MessageAccepted',
      'SessionClosed',
    ]);
    assert.equal(events[0]?.metadata.machine, 'smtpSession');
    // Time-ordered session ids (mail/sessionId.ts): the first 9 characters are the connect time.
    const sessionId = stream.slice('session-'.length);
    assert.match(sessionId, SESSION_ID_PATTERN);
    const idTime = Number.parseInt(sessionId.slice(0, 9), 32);
    assert.ok(Math.abs(idTime - Date.parse(String(events[0]?.data.at))) < 5000, `${sessionId} names its connect time`);
    assert.deepEqual(events[1]?.data, { helo: 'client.example.org', esmtp: true, at: events[1]?.data.at });
    assert.equal(events[2]?.data.size, 200);
    assert.equal(events[4]?.data.reply, '550 5.7.1 <eve@elsewhere.test>: Relay access denied');
    assert.equal(events[6]?.data.reason, 'quit');
    const replayed = await replay(e.h.log, stream, smtpSessionMachine);
    assert.equal(replayed.state, 'closed');
    assert.deepEqual(replayed.snapshot.context.messages, [id]);
    const [received] = await e.events(`message-${id}`);
    assert.deepEqual((received!.data as { client?: unknown }).client, {
      ip: '127.0.0.1',
      helo: 'client.example.org',
      protocol: 'ESMTP',
    });
  });

  it('records SessionReset before a MAIL that follows an unfinished transaction', async () => {
    const c = await SmtpTestClient.open(e.port);
    await converse(
      e.port,
      [
        { server: /^220 / },
        { client: 'EHLO client.example.org' },
        { server: /^250-/ },
        { client: 'MAIL FROM:<alice@remote.test>' },
        { server: /^250 / },
        { client: 'RCPT TO:<bob@example.test>' },
        { server: /^250 / },
        { client: 'RSET' },
        { server: /^250 / },
        { client: 'MAIL FROM:<alice@remote.test>' },
        { server: /^250 / },
        { client: 'EHLO other.example.org' },
        { server: /^250-/ },
        { client: 'MAIL FROM:<alice@remote.test>' },
        { server: /^250 / },
        { client: 'QUIT' },
        { server: /^221 / },
      ],
      c,
    );
    c.close();
    const streams = await until(async () => {
      for (const s of await e.streams('session-')) {
        const ev = await e.events(s);
        if (ev.filter((x) => x.type === 'ClientGreeted').length === 2 && ev.some((x) => x.type === 'SessionClosed'))
          return ev;
      }
      return undefined;
    }, 'the reset session');
    assert.deepEqual(types(streams), [
      'SessionConnected',
      'ClientGreeted',
      'MailFromAccepted',
      'RecipientAccepted',
      'SessionReset',
      'MailFromAccepted',
      'ClientGreeted',
      'MailFromAccepted',
      'SessionClosed',
    ]);
  });

  it('a connection that closes before MAIL gets one SessionProbed and no stream', async () => {
    const before = new Set(await e.streams('session-'));
    await converse(e.port, [
      { server: /^220 / },
      { client: 'EHLO scanner.example.net' },
      { server: /^250-/ },
      { client: 'QUIT' },
      { server: /^221 / },
    ]);
    const probe = await until(async () => {
      for (const s of await e.streams('probes-')) {
        for (const ev of await e.events(s))
          if ((ev.data as { helo?: string }).helo === 'scanner.example.net') return ev;
      }
      return undefined;
    }, 'the probe record');
    assert.match(probe.stream, /^probes-\d{4}-\d{2}-\d{2}$/);
    assert.equal(probe.type, 'SessionProbed');
    assert.equal(probe.data.reason, 'quit');
    assert.equal(probe.data.tls, false);
    assert.equal(probe.data.remoteAddress, '127.0.0.1');
    // A stream would have been created at MAIL, long before the probe record at close.
    const after = (await e.streams('session-')).filter((s) => !before.has(s));
    assert.deepEqual(after, [], 'no session stream for a probe');
  });
});

/** An event log whose appends to session streams wait until `open()` is called. */
class GatedLog implements EventLog {
  private release!: () => void;
  private readonly gate = new Promise<void>((r) => {
    this.release = r;
  });
  waiting = 0;
  constructor(
    private readonly inner: EventLog,
    private readonly fail: Error | false = false,
  ) {}
  open(): void {
    this.release();
  }
  append(...args: Parameters<EventLog['append']>): ReturnType<EventLog['append']> {
    if (!args[0].startsWith('session-')) return this.inner.append(...args);
    if (this.fail) return Promise.reject(this.fail);
    this.waiting += 1;
    return this.gate.then(() => this.inner.append(...args));
  }
  readStream(...a: Parameters<EventLog['readStream']>) {
    return this.inner.readStream(...a);
  }
  readAll(...a: Parameters<EventLog['readAll']>) {
    return this.inner.readAll(...a);
  }
  subscribe(...a: Parameters<EventLog['subscribe']>) {
    return this.inner.subscribe(...a);
  }
  close() {
    return this.inner.close();
  }
}

describe('SMTP session recording is off the reply path', () => {
  it('MAIL, RCPT and DATA are answered while the session’s appends are still pending', async () => {
    let gated: GatedLog | undefined;
    const e = await startEdge({}, undefined, (log) => (gated = new GatedLog(log)));
    try {
      await converse(e.port, [
        { server: /^220 / },
        { client: 'EHLO client.example.org' },
        { server: /^250-/ },
        { client: 'MAIL FROM:<alice@remote.test>' },
        { server: /^250 / },
        { client: 'RCPT TO:<bob@example.test>' },
        { server: /^250 / },
        { client: 'DATA' },
        { server: /^354 / },
        { raw: message() },
        { server: /^250 2\.0\.0 Ok: queued as / },
        { client: 'QUIT' },
        { server: /^221 / },
      ]);
      assert.ok(gated && gated.waiting >= 1, 'the session append was still waiting when every reply had arrived');
      gated.open();
      const [stream] = await until(
        () => e.streams('session-').then((s) => (s.length ? s : undefined)),
        'the session stream',
      );
      const events = await closedStream(e, stream as string);
      assert.equal(events.at(-1)?.type, 'SessionClosed');
    } finally {
      gated?.open();
      await e.close();
    }
  });

  /** Serves one message while every session append fails with `failure`; the log lines at warn and above. */
  async function withFailingSessionLog(failure: Error): Promise<Record<string, unknown>[]> {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const e = await startEdge({ logger }, undefined, (log) => new GatedLog(log, failure));
    try {
      const seen = await converse(e.port, [
        { server: /^220 / },
        { client: 'EHLO client.example.org' },
        { server: /^250-/ },
        { client: 'MAIL FROM:<alice@remote.test>' },
        { server: /^250 / },
        { client: 'RCPT TO:<bob@example.test>' },
        { server: /^250 / },
        { client: 'DATA' },
        { server: /^354 / },
        { raw: message() },
        { server: /^250 2\.0\.0 Ok: queued as / },
        { client: 'QUIT' },
        { server: /^221 / },
      ]);
      const id = queuedId(seen);
      assert.ok((await e.events(`message-${id}`)).length >= 1);
      return await until(
        () =>
          Promise.resolve(
            lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => (l.level as number) >= 40),
          ).then((l) => (l.length ? l : undefined)),
        'a warning or error line',
      );
    } finally {
      await e.close();
    }
  }

  it('a session log that fails for an unknown reason is an error with its stack; the client is still served and the message queued', async () => {
    const [line] = await withFailingSessionLog(new Error('disk on fire'));
    assert.equal(line?.level, 50);
    assert.match(String(line?.msg), /could not record the SMTP session/);
    assert.ok(line?.sessionId, 'the line names the session');
    assert.match(String((line?.err as { stack?: string } | undefined)?.stack), /disk on fire/);
  });

  it('a session log that fails for a known reason (the disk is full) is one warning with its code, no stack', async () => {
    const full = new EventLogWriteError(
      '/data/events.sqlite',
      Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
    );
    const [line] = await withFailingSessionLog(full);
    assert.equal(line?.level, 40);
    assert.match(String(line?.msg), /could not record the SMTP session/);
    assert.equal(line?.code, 'ERR_EVENTLOG_WRITE');
    assert.match(String(line?.reason), /database or disk is full/);
    assert.equal(line?.err, undefined, 'no error object, no stack');
    assert.ok(line?.sessionId, 'the line names the session');
  });
});
