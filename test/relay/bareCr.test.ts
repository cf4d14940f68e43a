/**
 * Bare CR in relayed content (issue 9 point 8): the edge lets a CR without LF into the spool,
 * and the SMTP relay must not pass it on as is (another server may end a line, or DATA, at
 * `<CR>.<CR>`). It goes out as CRLF, dot-stuffed like any line: a real SMTP server
 * (smtp-server) receives the whole message with ordinary lines.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BareCrToCrlf, normaliseBareCr } from '../../src/relay/bareCr.js';
import { SmtpRelay } from '../../src/relay/smtpRelay.js';
import { deliveryRequest } from './deliveryRequest.js';
import { scriptedServer } from './scriptedSmtpServer.js';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test('a bare CR leaves for another SMTP server as CRLF, and <CR>.<CR> cannot end DATA early', async () => {
  const server = await scriptedServer();
  const relay = new SmtpRelay({
    host: '127.0.0.1',
    port: server.port,
    helo: 'relay.test',
    starttls: 'never',
    timeout: 5000,
  });
  cleanup.push(
    () => server.close(),
    () => relay.close(),
  );
  const text = 'Subject: cr\n\nline one\rline two\r.\rMAIL FROM:<evil@x.test>\rend\r\n';
  const results = await relay.deliver(deliveryRequest(text, ['bob@example.test']));
  assert.deepEqual(
    results.map((r) => [r.outcome, r.status]),
    [['delivered', '2.0.0']],
  );
  assert.equal(server.received.length, 1);
  assert.equal(
    server.received[0]!.body.toString('latin1'),
    'Subject: cr\r\n\r\nline one\r\nline two\r\n.\r\nMAIL FROM:<evil@x.test>\r\nend\r\n',
  );
});

test('BareCrToCrlf: the same output for every chunking, CRLF untouched, a final CR completed', async () => {
  const input = 'a\rb\r\nc\r\r\nd\r';
  const expected = 'a\r\nb\r\nc\r\n\r\nd\r\n';
  for (let size = 1; size <= input.length; size++) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < input.length; i += size) chunks.push(Buffer.from(input.slice(i, i + size), 'latin1'));
    const out: Buffer[] = [];
    for await (const c of normaliseBareCr(Readable.from(chunks))) out.push(c as Buffer);
    assert.equal(Buffer.concat(out).toString('latin1'), expected, `chunks of ${size}`);
  }
  assert.equal(new BareCrToCrlf().convert(Buffer.from('x\ry'), true).toString(), 'x\r\ny');
});
