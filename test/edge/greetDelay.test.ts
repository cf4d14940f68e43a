/**
 * smtp.greetDelay: the pause before the greeting in which a client that talks first is
 * refused (smtp-server's early-talker check, 100 ms by default). Configurable: a long delay
 * catches a pipelining spammer; 0 greets at once and a normal conversation still works.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { converse } from './conversation.js';
import { startEdge, type EdgeHarness } from './edgeHarness.js';

const open: EdgeHarness[] = [];
after(async () => {
  for (const e of open) await e.close();
});

describe('greetDelay', () => {
  it('refuses a client that talks before a long greeting delay', async () => {
    const e = await startEdge({ greetDelay: 2000 });
    open.push(e);
    const replies = await converse(e.port, [{ raw: 'EHLO early.test\r\n' }, { server: /^421 / }]);
    assert.match(replies.at(-1)!, /You talk too soon/);
  });

  it('greets with no delay when set to 0, and the session goes on as usual', async () => {
    const e = await startEdge({ greetDelay: 0 });
    open.push(e);
    const replies = await converse(e.port, [
      { server: /^220 / },
      { client: 'EHLO client.test' },
      { server: /^250-mx\.example\.test/ },
      { client: 'QUIT' },
      { server: /^221 / },
    ]);
    assert.match(replies[0]!, /^220 mx\.example\.test/);
  });
});
