/**
 * The reply → RFC 3463 status table of the SMTP and LMTP relays: the enhanced code of a
 * reply wins when its class agrees with the basic code, else the basic code decides
 * (2.0.0 / 4.0.0 / 5.0.0); replies that are not final replies defer as protocol errors;
 * failures without a reply are 4.4.1, timeouts 4.4.2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionFailureStatus, parseReply, replyStatus, resultFromReply } from '../../src/relay/replyStatus.js';

const TABLE: [reply: string, outcome: string, status: string][] = [
  ['250 2.0.0 Ok: queued as 4Xy', 'delivered', '2.0.0'],
  ['250 2.1.5 Ok', 'delivered', '2.1.5'],
  ['250 OK: message queued', 'delivered', '2.0.0'],
  ['550 5.1.1 <bob@example.test>: Recipient address rejected', 'permanent', '5.1.1'],
  ['550 no such user', 'permanent', '5.0.0'],
  ['552 5.2.2 <carol@example.test> Quota exceeded (mailbox for user is full)', 'permanent', '5.2.2'],
  ['452 4.2.2 Mailbox full', 'transient', '4.2.2'],
  ['451 try again later', 'transient', '4.0.0'],
  ['421 4.7.0 Too many connections', 'transient', '4.7.0'],
  ['550 4.1.1 class disagrees with the code', 'permanent', '5.0.0'],
  ['450 5.1.1 class disagrees with the code', 'transient', '4.0.0'],
  ['554-5.7.1 first line\n554 5.7.1 second line', 'permanent', '5.7.1'],
  ['553 5.1.10 null MX', 'permanent', '5.1.10'],
  ['354 go ahead', 'transient', '4.5.0'],
  ['garbage', 'transient', '4.5.0'],
];

for (const [reply, outcome, status] of TABLE) {
  test(`maps "${reply.split('\n')[0]}" to ${outcome} ${status}`, () => {
    assert.deepEqual(replyStatus(reply), { outcome, status });
  });
}

test('joins a multi-line reply into one line for the result', () => {
  assert.deepEqual(parseReply('554-5.7.1 first line\r\n554 5.7.1 second line'), {
    code: 554,
    enhanced: '5.7.1',
    text: '554-5.7.1 first line 554 5.7.1 second line',
  });
  assert.deepEqual(resultFromReply('bob@example.test', '550 5.1.1 no\r\n'), {
    recipient: 'bob@example.test',
    outcome: 'permanent',
    status: '5.1.1',
    reply: '550 5.1.1 no',
  });
});

test('a timeout is 4.4.2, a failed lookup of the next hop 4.4.3, any other failure without a reply 4.4.1', () => {
  assert.equal(connectionFailureStatus(Object.assign(new Error('queryA ENOTFOUND'), { code: 'EDNS' })), '4.4.3');
  assert.equal(connectionFailureStatus(Object.assign(new Error('Timeout'), { code: 'ETIMEDOUT' })), '4.4.2');
  assert.equal(connectionFailureStatus(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), '4.4.1');
  assert.equal(connectionFailureStatus(Object.assign(new Error('closed'), { code: 'ECONNECTION' })), '4.4.1');
  assert.equal(connectionFailureStatus('weird'), '4.4.1');
});
