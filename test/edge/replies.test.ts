/**
 * Conversation tables (Haraka style) over real TCP against a real SmtpEdge, queue and
 * smtp-server: the exact reply lines a client sees, each enhanced status code once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { storeFailureReply } from '../../src/edge/dataReceiver.js';
import { replyLine } from '../../src/edge/smtpReply.js';
import { silentLogger } from '../../src/logging/logger.js';
import { SpoolIoError } from '../../src/spool/spoolErrors.js';
import { type Step, converse } from './conversation.js';
import { type EdgeHarness, message, startEdge } from './edgeHarness.js';

const greeting = { server: '220 mx.example.test ESMTP mailtrail' };
const ehlo: Step[] = [
  greeting,
  { client: 'EHLO client.example.org' },
  { server: /^250-mx\.example\.test Nice to meet you/ },
];

describe('SMTP edge replies', () => {
  let e: EdgeHarness;
  before(async () => {
    e = await startEdge({
      mailboxes: ['bob@example.test', 'carol@example.test'],
      maxRecipients: 2,
      maxMessageSize: 10_000,
    });
  });
  after(() => e.close());

  const tables: Record<string, Step[]> = {
    'queues a message: 250 2.0.0 Ok: queued as <id>': [
      ...ehlo,
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: '250 2.1.5 Accepted' },
      { client: 'DATA' },
      { server: '354 End data with <CR><LF>.<CR><LF>' },
      { raw: message() },
      { server: /^250 2\.0\.0 Ok: queued as [A-Z0-9]+$/ },
      { client: 'QUIT' },
      { server: '221 2.0.0 Bye' },
      { closed: true },
    ],
    'relay denied: 550 5.7.1 <addr>: Relay access denied': [
      ...ehlo,
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<eve@elsewhere.test>' },
      { server: '550 5.7.1 <eve@elsewhere.test>: Relay access denied' },
    ],
    'user unknown: 550 5.1.1 <addr>: User unknown': [
      ...ehlo,
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<mallory@example.test>' },
      { server: '550 5.1.1 <mallory@example.test>: User unknown' },
    ],
    'a local part with a slash: 553 5.1.3': [
      ...ehlo,
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<../bob@example.test>' },
      { server: /^501 5\.1\.3 / },
      { client: 'RCPT TO:<a/b@example.test>' },
      { server: '553 5.1.3 <a/b@example.test>: Recipient address rejected: local part not allowed' },
      { client: 'RCPT TO:<"a/../../etc"@example.test>' },
      {
        server:
          /^(553 5\.1\.3 <"a\/\.\.\/\.\.\/etc"@example\.test>: Recipient address rejected: local part not allowed|501 5\.1\.3 .*)$/,
      },
      // A backslash could not name a Maildir either: refused here, not bounced by the relay later.
      { client: 'RCPT TO:<"a\\"b"@example.test>' },
      { server: '553 5.1.3 <"a\\"b"@example.test>: Recipient address rejected: local part not allowed' },
    ],
    'too many recipients: 452 4.5.3': [
      ...ehlo,
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: '250 2.1.5 Accepted' },
      { client: 'RCPT TO:<carol@example.test>' },
      { server: '250 2.1.5 Accepted' },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: '250 2.1.5 Accepted' },
      { client: 'RCPT TO:<postmaster@example.test>' },
      { server: '452 4.5.3 Error: too many recipients' },
    ],
    'SIZE too large: 552 5.3.4 at MAIL': [
      ...ehlo,
      { client: 'MAIL FROM:<alice@remote.test> SIZE=20000' },
      { server: '552 5.3.4 Error: message exceeds fixed maximum message size 10000' },
      { client: 'MAIL FROM:<alice@remote.test> SIZE=2000' },
      { server: '250 2.1.0 Accepted' },
    ],
    'oversized DATA: 552 5.3.4 after the final dot, nothing queued, session goes on': [
      ...ehlo,
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: '250 2.1.5 Accepted' },
      { client: 'DATA' },
      { server: /^354 / },
      { raw: `${`Subject: big\r\n\r\n${'x'.repeat(998)}\r\n`.repeat(30)}.\r\n` },
      { server: '552 5.3.4 Error: message exceeds fixed maximum message size 10000' },
      { client: 'NOOP' },
      { server: '250 2.0.0 OK' },
    ],
    'bare LF in DATA: 550 5.5.2, not queued': [
      ...ehlo,
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: '250 2.1.5 Accepted' },
      { client: 'DATA' },
      { server: /^354 / },
      { raw: 'Subject: smuggle\r\n\r\nhello\n.\r\nMAIL FROM:<evil@remote.test>\r\n.\r\n' },
      { server: '550 5.5.2 Error: bare <LF> received' },
      { client: 'RSET' },
      { server: '250 2.0.0 Flushed' },
    ],
    'MAIL before EHLO, unknown commands, RCPT before MAIL': [
      greeting,
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '503 5.5.1 Error: send HELO/EHLO first' },
      { client: 'FOO bar' },
      { server: '500 5.5.2 Error: command not recognized' },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: '503 5.5.1 Error: need MAIL command' },
      { client: 'DATA' },
      { server: '503 5.5.1 Error: need RCPT command' },
    ],
    'an EHLO name that is not a hostname is refused at MAIL': [
      greeting,
      { client: 'EHLO bad!name' },
      { server: /^250-/ },
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '501 5.5.2 <bad!name>: Helo command rejected: Invalid name' },
      { client: 'HELO [127.0.0.1]' },
      { server: '250 mx.example.test Nice to meet you, [127.0.0.1]' },
      { client: 'MAIL FROM:<>' },
      { server: '250 2.1.0 Accepted' },
    ],
    'no AUTH and no STARTTLS without their configuration': [
      ...ehlo.slice(0, 2),
      {
        server:
          '250-mx.example.test Nice to meet you, [127.0.0.1]\n250-PIPELINING\n250-8BITMIME\n250-SMTPUTF8\n250-ENHANCEDSTATUSCODES\n250 SIZE 10000',
      },
      { client: 'STARTTLS' },
      { server: '500 5.5.2 Error: command not recognized' },
      { client: 'AUTH PLAIN AGFsaWNlAHNlY3JldA==' },
      { server: '500 5.5.2 Error: command not recognized' },
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
    ],
  };

  for (const [name, steps] of Object.entries(tables)) {
    it(name, async () => {
      await converse(e.port, steps);
    });
  }

  it('pipelined commands get their replies in order', async () => {
    await converse(e.port, [
      greeting,
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      {
        raw: 'MAIL FROM:<alice@remote.test>\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<eve@elsewhere.test>\r\nDATA\r\n',
      },
      { server: '250 2.1.0 Accepted' },
      { server: '250 2.1.5 Accepted' },
      { server: '550 5.7.1 <eve@elsewhere.test>: Relay access denied' },
      { server: /^354 / },
      { raw: message('pipelined') },
      { server: /^250 2\.0\.0 Ok: queued as / },
    ]);
  });

  it('a spool that cannot store gets 451 4.3.0, nothing queued, and the session goes on', async () => {
    const bodies = e.h.spool.bodiesDir;
    renameSync(bodies, `${bodies}.away`);
    writeFileSync(bodies, 'not a directory');
    try {
      await converse(e.port, [
        ...ehlo,
        { client: 'MAIL FROM:<alice@remote.test>' },
        { server: '250 2.1.0 Accepted' },
        { client: 'RCPT TO:<bob@example.test>' },
        { server: '250 2.1.5 Accepted' },
        { client: 'DATA' },
        { server: /^354 / },
        { raw: message('no disk') },
        { server: '451 4.3.0 Error: queue file write error' },
        { client: 'NOOP' },
        { server: '250 2.0.0 OK' },
      ]);
    } finally {
      rmSync(bodies);
      renameSync(`${bodies}.away`, bodies);
    }
  });

  it('a full disk is 452 4.3.1, any other failure 451 4.3.0, never the error text', () => {
    const full = new SpoolIoError(
      'write',
      'bodies/X',
      Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' }),
    );
    assert.equal(replyLine(storeFailureReply(full, silentLogger)), '452 4.3.1 Error: insufficient system storage');
    assert.equal(
      replyLine(storeFailureReply(new Error('secret stack'), silentLogger)),
      '451 4.3.0 Error: queue file write error',
    );
  });

  it('no message was queued by the refused DATA tables', async () => {
    const received = [];
    for await (const ev of e.h.log.readAll({ filter: { types: ['MessageReceived'] } })) received.push(ev);
    assert.equal(received.length, 2, 'only the two accepted messages');
  });
});
