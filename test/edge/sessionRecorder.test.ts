/**
 * The session recorder's appends: the stream is created at the first MAIL with what came
 * before, and a transaction's MAIL and RCPT events wait for its end, so a message costs its
 * session one append; nothing is held back past the transaction's end or the close.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { AppendOptions, AppendResult, EventData } from '../../src/eventlog/eventLog.js';
import { MemoryEventLog } from '../../src/eventlog/memory/memoryEventLog.js';
import { SessionRecorder } from '../../src/edge/sessionRecorder.js';

/** A memory log that also lists each append's event types. */
class CountingLog extends MemoryEventLog {
  readonly appends: string[][] = [];
  override append(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult> {
    this.appends.push(events.map((e) => e.type));
    return super.append(stream, events, options);
  }
}

const at = '2026-12-02T09:00:00.000Z';
const settle = () => new Promise((r) => setImmediate(r));

function recorder(log: CountingLog): SessionRecorder {
  const r = new SessionRecorder(log, 'S1', pino({ enabled: false }));
  r.note({
    type: 'SessionConnected',
    sessionId: 'S1',
    remoteAddress: '192.0.2.1',
    remotePort: 40000,
    localAddress: '192.0.2.25',
    localPort: 25,
    at,
  });
  r.note({ type: 'ClientGreeted', helo: 'client.test', esmtp: true, at });
  return r;
}

describe('SessionRecorder', () => {
  it('appends a transaction once, at its end, and the close on its own', async () => {
    const log = new CountingLog();
    const r = recorder(log);
    r.openStream();
    await settle();
    for (const n of [1, 2]) {
      r.note({ type: 'MailFromAccepted', sender: 'a@remote.test', at });
      r.note({ type: 'RecipientAccepted', recipient: 'bob@example.test', at });
      r.note({ type: 'RecipientRefused', recipient: 'nobody@example.test', reply: '550 5.1.1 no', at });
      await settle();
      assert.equal(log.appends.length, n - 1, 'nothing appended inside the transaction');
      r.note({ type: 'MessageAccepted', messageId: `M${n}`, size: 10, at });
      await settle();
    }
    r.close('quit', at, {});
    await r.settled();
    const transaction = ['MailFromAccepted', 'RecipientAccepted', 'RecipientRefused', 'MessageAccepted'];
    assert.deepEqual(log.appends, [
      ['SessionConnected', 'ClientGreeted', ...transaction],
      transaction,
      ['SessionClosed'],
    ]);
  });

  it('does not hold a transaction back when an append was in flight, and a close ends an open one', async () => {
    const log = new CountingLog();
    const r = recorder(log);
    r.openStream();
    r.note({ type: 'MailFromAccepted', sender: 'a@remote.test', at });
    r.note({ type: 'RecipientAccepted', recipient: 'bob@example.test', at });
    r.note({ type: 'MessageAccepted', messageId: 'M1', size: 10, at });
    // The first transaction's append is in flight while the second one's MAIL and RCPT arrive.
    r.note({ type: 'MailFromAccepted', sender: 'a@remote.test', at });
    r.note({ type: 'RecipientAccepted', recipient: 'carol@example.test', at });
    await settle();
    assert.equal(log.appends.length, 1, 'the open transaction waits');
    r.close('timeout', at, {});
    await r.settled();
    assert.deepEqual(log.appends.at(-1), ['MailFromAccepted', 'RecipientAccepted', 'SessionClosed']);
    const stored = [];
    for await (const e of log.readStream('session-S1')) stored.push(e.metadata.state);
    assert.deepEqual(stored, ['connected', 'greeted', 'mail', 'rcpt', 'greeted', 'mail', 'rcpt', 'closed']);
  });
});
