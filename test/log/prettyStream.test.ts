/**
 * `log: { pretty: true }`: the formatter turns pino's JSON lines into one human line each,
 * id first, without repeating what the message text shows; errors bring code and stack.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLogLine } from '../../src/logging/prettyStream.js';

describe('the pretty log formatter', () => {
  it('puts the queue id first and leaves out fields the text already shows', () => {
    const line = JSON.stringify({
      level: 30,
      time: '2026-11-25T12:00:00.000Z',
      service: 'mailtrail',
      messageId: 'ABC',
      to: 'bob@x',
      relay: 'maildir',
      dsn: '2.0.0',
      status: 'sent',
      attempt: 2,
      msg: 'to=<bob@x>, relay=maildir, dsn=2.0.0, status=sent (ok)',
    });
    assert.equal(
      formatLogLine(line),
      '2026-11-25T12:00:00.000Z INFO  ABC: to=<bob@x>, relay=maildir, dsn=2.0.0, status=sent (ok) attempt=2\n',
    );
  });

  it('shows an error with its code, and its stack indented below', () => {
    const line = JSON.stringify({
      level: 50,
      time: 't',
      sessionId: 's1',
      err: { message: 'disk full', code: 'ERR_SPOOL_IO', stack: 'Error: disk full\n    at x (y.ts:1:2)' },
      msg: 'could not queue the message',
    });
    assert.equal(
      formatLogLine(line),
      't ERROR s1: could not queue the message err="disk full" (ERR_SPOOL_IO)\n    at x (y.ts:1:2)\n',
    );
  });

  it('passes a line that is not JSON through', () => {
    assert.equal(formatLogLine('not json'), 'not json\n');
  });
});
