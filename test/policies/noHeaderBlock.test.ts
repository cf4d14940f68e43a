/**
 * A message with no header block (its first line is body text) gets the trace headers the
 * prequeue policies prepend, then the empty line that separates them from its body, as
 * Postfix's cleanup adds it: otherwise the body's first line would read as a header. Driven
 * through the real edge and queue into a Maildir.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { needsSeparator } from '../../src/policies/headerBlock.js';
import { converse } from '../edge/conversation.js';
import { type EdgeHarness, queuedId, startEdge } from '../edge/edgeHarness.js';

async function deliver(e: EdgeHarness, rcpt: string, body: string): Promise<string> {
  const seen = await converse(e.port, [
    { server: /^220 / },
    { client: 'EHLO client.example.org' },
    { server: /^250-/ },
    { client: 'MAIL FROM:<alice@remote.test>' },
    { server: /^250 / },
    { client: `RCPT TO:<${rcpt}@example.test>` },
    { server: /^250 / },
    { client: 'DATA' },
    { server: /^354 / },
    { raw: `${body}.\r\n` },
    { server: /^250 2\.0\.0 Ok: queued as / },
    { client: 'QUIT' },
    { server: /^221 / },
  ]);
  await e.h.waitFor(queuedId(seen), ['delivered']);
  const dir = join(e.h.mailRoot, 'example.test', rcpt, 'new');
  const [file] = readdirSync(dir);
  return readFileSync(join(dir, file!), 'latin1');
}

describe('a message without a header block', () => {
  let e: EdgeHarness;
  before(async () => {
    e = await startEdge();
  });
  after(() => e.close());

  it('gets its trace headers followed by the empty line, and its first line stays body', async () => {
    const stored = await deliver(e, 'bob', 'Hello Bob, no headers here\r\nsecond line\r\n');
    const [head, body] = [stored.slice(0, stored.indexOf('\n\n')), stored.slice(stored.indexOf('\n\n') + 2)];
    assert.match(head, /^Received: /m);
    assert.match(head, /^Date: /m);
    assert.doesNotMatch(head, /Hello Bob/);
    assert.equal(body, 'Hello Bob, no headers here\nsecond line\n');
  });

  it('a message that has headers, or an empty header block, gets no extra empty line', async () => {
    const withHeaders = await deliver(e, 'carol', 'Subject: hi\r\n\r\nbody\r\n');
    assert.match(withHeaders, /\nSubject: hi\n\nbody\n$/);
    const emptyBlock = await deliver(e, 'dora', '\r\nbody after an empty header block\r\n');
    assert.match(emptyBlock, /[^\n]\n\nbody after an empty header block\n$/);
  });

  it('needsSeparator: only when the first line is neither a field nor empty', () => {
    assert.equal(needsSeparator('Hello\r\n'), true);
    assert.equal(needsSeparator(' folded-looking\r\n'), true);
    assert.equal(needsSeparator('From alice Mon Dec 1\r\n'), true);
    assert.equal(needsSeparator('Subject: x\r\n\r\n'), false);
    assert.equal(needsSeparator('\r\nbody'), false);
    assert.equal(needsSeparator(''), false);
  });
});
