/**
 * Address rules of the edge (issue 9 point 8): a non-ASCII address needs SMTPUTF8 on MAIL
 * (553 5.6.7, as Postfix), and a recipient that begins with `-` is refused at RCPT (it could
 * only be an option smuggled to a pipe relay's command line).
 */
import { after, before, describe, it } from 'node:test';
import { type Step, converse } from './conversation.js';
import { type EdgeHarness, message, startEdge } from './edgeHarness.js';

const hello: Step[] = [{ server: /^220 / }, { client: 'EHLO client.example.org' }, { server: /^250-/ }];
const bye: Step[] = [{ client: 'QUIT' }, { server: '221 2.0.0 Bye' }];
const utf8 = '553 5.6.7 Must declare SMTPUTF8 to send unicode address';

describe('address rules at MAIL and RCPT', () => {
  let e: EdgeHarness;
  before(async () => {
    e = await startEdge();
  });
  after(() => e.close());

  it('refuses a UTF-8 sender without SMTPUTF8 with 553 5.6.7, and takes it with SMTPUTF8', async () => {
    await converse(e.port, [
      ...hello,
      { client: 'MAIL FROM:<jörg@remote.test>' },
      { server: utf8 },
      { client: 'MAIL FROM:<jörg@remote.test> SMTPUTF8' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: '250 2.1.5 Accepted' },
      { client: 'DATA' },
      { server: /^354 / },
      { raw: message('utf8') },
      { server: /^250 2\.0\.0 Ok: queued as / },
      ...bye,
    ]);
  });

  it('refuses a UTF-8 recipient without SMTPUTF8 with 553 5.6.7, and takes it with SMTPUTF8', async () => {
    await converse(e.port, [
      ...hello,
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<jörg@example.test>' },
      { server: utf8 },
      { client: 'RSET' },
      { server: /^250 / },
      { client: 'MAIL FROM:<alice@remote.test> SMTPUTF8' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<jörg@example.test>' },
      { server: '250 2.1.5 Accepted' },
      ...bye,
    ]);
  });

  it('refuses a recipient that begins with - at RCPT', async () => {
    await converse(e.port, [
      ...hello,
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<-oQ/tmp/x@example.test>' },
      { server: '501 5.1.3 <-oQ/tmp/x@example.test>: Bad recipient address syntax' },
      { client: 'RCPT TO:<-bob@example.test>' },
      { server: '501 5.1.3 <-bob@example.test>: Bad recipient address syntax' },
      { client: 'RCPT TO:<bob-@example.test>' },
      { server: '250 2.1.5 Accepted' },
      ...bye,
    ]);
  });
});
