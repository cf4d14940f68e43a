/** Given/when/then for every state of the smtpSession machine; RFC 5321 §4.1.4 ordering. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { smtpSessionMachine } from '../../machines/smtpSession.machine.js';
import { receivedProtocol } from '../../machines/smtpSession.context.js';
import { InvariantError } from '../../src/errors/mailtrailError.js';
import { given } from '../support/givenWhenThen.js';
import { se } from '../support/sessionEvents.js';

const m = smtpSessionMachine;

describe('smtpSession machine', () => {
  it('new: SessionConnected opens the session in connected', () => {
    const out = given(m).when(se.connected({ rdns: 'client.test' }));
    assert.equal(out.state, 'connected');
    assert.equal(out.context.remoteAddress, '127.0.0.1');
    assert.equal(out.context.rdns, 'client.test');
  });

  describe('connected', () => {
    it('ClientGreeted moves to greeted and keeps the name', () => {
      const out = given(m, se.connected()).when(se.greeted('mx.client.test'));
      assert.equal(out.state, 'greeted');
      assert.equal(out.context.helo, 'mx.client.test');
    });
    it('refuses MAIL before a greeting', () => {
      assert.throws(() => given(m, se.connected()).when(se.mail()), InvariantError);
    });
    it('SessionClosed ends a probe that never greeted', () => {
      const out = given(m, se.connected()).when(se.closed('disconnect'));
      assert.equal(out.state, 'closed');
      assert.equal(out.status, 'done');
      assert.equal(out.context.closedReason, 'disconnect');
    });
  });

  describe('greeted', () => {
    const greeted = [se.connected(), se.greeted()];
    it('TlsStarted returns to connected: the client must greet again', () => {
      const out = given(m, ...greeted).when(se.tls());
      assert.equal(out.state, 'connected');
      assert.equal(out.context.tls?.version, 'TLSv1.3');
    });
    it('refuses a second TLS start', () => {
      assert.throws(() => given(m, ...greeted, se.tls(), se.greeted()).when(se.tls()), InvariantError);
    });
    it('AuthSucceeded records the user once; a second AUTH is refused', () => {
      const g = given(m, ...greeted, se.authFailed(), se.auth('alice'));
      assert.equal(g.then().context.user, 'alice');
      assert.equal(g.then().context.authFailures, 1);
      assert.throws(() => g.when(se.auth('bob')), InvariantError);
    });
    it('MailFromAccepted opens a transaction', () => {
      const out = given(m, ...greeted).when(se.mail('alice@remote.test', { smtputf8: true }));
      assert.equal(out.state, 'mail');
      assert.equal(out.context.sender, 'alice@remote.test');
      assert.equal(out.context.smtputf8, true);
    });
    it('MailFromRefused stays greeted and counts the refusal', () => {
      const out = given(m, ...greeted).when(se.mailRefused());
      assert.equal(out.state, 'greeted');
      assert.equal(out.context.refusals, 1);
    });
    it('refuses RCPT without MAIL', () => {
      assert.throws(() => given(m, ...greeted).when(se.rcpt()), /not accepted in state greeted/);
    });
  });

  describe('mail', () => {
    const mail = [se.connected(), se.greeted(), se.mail()];
    it('RecipientAccepted moves to rcpt', () => {
      const out = given(m, ...mail).when(se.rcpt());
      assert.equal(out.state, 'rcpt');
      assert.deepEqual(out.context.recipients, ['bob@example.test']);
    });
    it('RecipientRefused stays in mail', () => {
      const out = given(m, ...mail).when(se.rcptRefused());
      assert.equal(out.state, 'mail');
      assert.equal(out.context.refusedRecipients, 1);
    });
    it('refuses a nested MAIL', () => {
      assert.throws(() => given(m, ...mail).when(se.mail()), InvariantError);
    });
    it('refuses DATA with no accepted recipient', () => {
      assert.throws(() => given(m, ...mail).when(se.accepted()), InvariantError);
    });
    it('SessionReset clears the transaction', () => {
      const out = given(m, ...mail).when(se.reset());
      assert.equal(out.state, 'greeted');
      assert.equal(out.context.sender, null);
    });
  });

  describe('rcpt', () => {
    const rcpt = [se.connected(), se.greeted(), se.mail(), se.rcpt()];
    it('MessageAccepted ends the transaction back in greeted and lists the message', () => {
      const out = given(m, ...rcpt).when(se.rcpt('carol@example.test'), se.accepted('M7'));
      assert.equal(out.state, 'greeted');
      assert.deepEqual(out.context.messages, ['M7']);
      assert.deepEqual(out.context.recipients, []);
    });
    it('MessageRefused ends the transaction too', () => {
      const out = given(m, ...rcpt).when(se.refused());
      assert.equal(out.state, 'greeted');
      assert.equal(out.context.sender, null);
    });
    it('a new EHLO aborts the transaction', () => {
      const out = given(m, ...rcpt).when(se.greeted('again.test'));
      assert.equal(out.state, 'greeted');
      assert.equal(out.context.sender, null);
      assert.equal(out.context.helo, 'again.test');
    });
    it('two messages in one session', () => {
      const out = given(m, ...rcpt, se.accepted('M1'), se.mail(), se.rcpt()).when(se.accepted('M2'));
      assert.deepEqual(out.context.messages, ['M1', 'M2']);
    });
  });

  describe('closed', () => {
    it('is final and accepts nothing', () => {
      const g = given(m, se.connected(), se.greeted(), se.closed('quit'));
      assert.equal(g.then().status, 'done');
      assert.throws(() => g.when(se.greeted()), InvariantError);
    });
  });

  it('names the Received protocol per RFC 3848 from what the session did', () => {
    const plain = given(m, se.connected(), se.greeted('x', false)).then().context;
    const esmtpsa = given(m, se.connected(), se.tls(), se.greeted(), se.auth()).then().context;
    const utf8 = given(m, se.connected(), se.greeted(), se.mail('a@b', { smtputf8: true })).then().context;
    assert.equal(receivedProtocol(plain), 'SMTP');
    assert.equal(receivedProtocol(esmtpsa), 'ESMTPSA');
    assert.equal(receivedProtocol(utf8), 'UTF8SMTP');
  });
});
