/**
 * SmtpValidators subclasses, as in the slimta tutorial: the tutorial's MyValidators (the
 * enhanced code written in the message, slimta style, still appears once), a banner
 * validator, async validators, refusals at MAIL and DATA, and a validator that throws.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpValidators, type ValidatorSession } from '../../src/edge/smtpValidators.js';
import type { SmtpReply } from '../../src/edge/smtpReply.js';
import { converse } from './conversation.js';
import { type EdgeHarness, message, startEdge, types, until } from './edgeHarness.js';

/** The slimta tutorial's MyValidators, in TypeScript (the docs/smtp.md example). */
class MyValidators extends SmtpValidators {
  override handleRcpt(reply: SmtpReply, recipient: string): void {
    const at = recipient.lastIndexOf('@');
    if (at < 0) {
      reply.code = 550;
      reply.message = `5.7.1 <${recipient}> Not a valid address`;
      return;
    }
    if (recipient.slice(at + 1).toLowerCase() !== 'slimta.org') {
      reply.code = 550;
      reply.message = `5.7.1 <${recipient}> Not authenticated`;
    }
  }
}

class Strict extends SmtpValidators {
  override handleBanner(reply: SmtpReply, session: ValidatorSession): void {
    reply.message = `mx.example.test ESMTP hello ${session.remoteAddress}`;
  }
  override async handleMail(reply: SmtpReply, sender: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 5));
    if (sender.endsWith('@spam.test'))
      Object.assign(reply, {
        code: 550,
        enhanced: '5.7.1',
        message: `<${sender}>: Sender address rejected: Access denied`,
      });
  }
  override handleData(reply: SmtpReply, session: ValidatorSession): void {
    if (session.recipients.includes('nodata@example.test'))
      Object.assign(reply, { code: 554, enhanced: '5.7.1', message: 'Error: no thanks' });
  }
  override handleRcpt(_reply: SmtpReply, recipient: string): void {
    if (recipient === 'boom@example.test') throw new Error('validator bug');
  }
}

class Closed extends SmtpValidators {
  override handleBanner(reply: SmtpReply): void {
    Object.assign(reply, { code: 554, enhanced: '5.7.1', message: 'mx.example.test Error: you are on a block list' });
  }
}

describe('the tutorial’s MyValidators', () => {
  let e: EdgeHarness;
  before(async () => {
    e = await startEdge({ domains: ['slimta.org', 'example.test'] }, MyValidators);
  });
  after(() => e.close());

  it('refuses other domains with its own line, the enhanced code once', async () => {
    await converse(e.port, [
      { server: '220 mx.example.test ESMTP mailtrail' },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<bob@example.test>' },
      { server: '550 5.7.1 <bob@example.test> Not authenticated' },
      { client: 'RCPT TO:<bob@slimta.org>' },
      { server: '250 2.1.5 Accepted' },
      { client: 'RCPT TO:<eve@elsewhere.test>' },
      { server: '550 5.7.1 <eve@elsewhere.test>: Relay access denied' },
    ]);
  });
});

describe('validators on every hook', () => {
  let e: EdgeHarness;
  before(async () => {
    e = await startEdge({}, Strict);
  });
  after(() => e.close());

  it('changes the banner, refuses a sender asynchronously, refuses at DATA without queueing', async () => {
    await converse(e.port, [
      { server: '220 mx.example.test ESMTP hello 127.0.0.1' },
      { client: 'EHLO client.example.org' },
      { server: /^250-/ },
      { client: 'MAIL FROM:<x@spam.test>' },
      { server: '550 5.7.1 <x@spam.test>: Sender address rejected: Access denied' },
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<nodata@example.test>' },
      { server: '250 2.1.5 Accepted' },
      { client: 'DATA' },
      { server: /^354 / },
      { raw: message() },
      { server: '554 5.7.1 Error: no thanks' },
      { client: 'RCPT TO:<boom@example.test>' },
      { server: '503 5.5.1 Error: need MAIL command' },
      { client: 'MAIL FROM:<alice@remote.test>' },
      { server: '250 2.1.0 Accepted' },
      { client: 'RCPT TO:<boom@example.test>' },
      { server: '451 4.3.0 Error: internal server error' },
      { client: 'QUIT' },
      { server: '221 2.0.0 Bye' },
    ]);
    const [stream] = await until(() => e.streams('session-').then((s) => (s.length ? s : undefined)), 'the session');
    const events = await until(async () => {
      const ev = await e.events(stream as string);
      return ev.at(-1)?.type === 'SessionClosed' ? ev : undefined;
    }, 'closed');
    assert.deepEqual(types(events), [
      'SessionConnected',
      'ClientGreeted',
      'MailFromRefused',
      'MailFromAccepted',
      'RecipientAccepted',
      'MessageRefused',
      'MailFromAccepted',
      'RecipientRefused',
      'SessionClosed',
    ]);
    assert.equal(events[5]?.data.reply, '554 5.7.1 Error: no thanks');
    const received = [];
    for await (const ev of e.h.log.readAll({ filter: { types: ['MessageReceived'] } })) received.push(ev);
    assert.equal(received.length, 0);
  });
});

describe('a banner validator that refuses', () => {
  it('sends its line once and closes; the connection is recorded as a probe', async () => {
    const e = await startEdge({}, Closed);
    try {
      await converse(e.port, [
        { server: '554 5.7.1 mx.example.test Error: you are on a block list' },
        { closed: true },
      ]);
      const [probes] = await until(() => e.streams('probes-').then((s) => (s.length ? s : undefined)), 'the probe');
      const [probe] = await e.events(probes as string);
      assert.equal(probe?.data.reason, 'error');
    } finally {
      await e.close();
    }
  });
});
