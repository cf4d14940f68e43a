/**
 * addMessageIdHeader: adds <YYYYMMDDhhmmss.queueid@hostname> only when missing, derived
 * from the queued message alone (a replay gives the same header), valid for mailparser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { addMessageIdHeader, messageIdLocalPart } from '../../src/policies/addMessageIdHeader.js';
import { assemble, context, message } from './policyContext.js';

const HEADERS = 'From: alice@example.org\r\nSubject: hi\r\n';

test('adds Message-Id from receivedAt, the queue id and the hostname when the message has none', async () => {
  const effect = await addMessageIdHeader.apply(context(HEADERS));
  assert.deepEqual(effect, {
    prependHeaders: ['Message-Id: <20240305090806.01HZX3K9QGQ8W6Q2T1V5N7M4PA@mx.example.com>'],
  });
  const parsed = await simpleParser(assemble(effect, HEADERS));
  assert.equal(parsed.messageId, '<20240305090806.01HZX3K9QGQ8W6Q2T1V5N7M4PA@mx.example.com>');
});

test('is deterministic: a replay with a later clock gives the same header', async () => {
  const first = await addMessageIdHeader.apply(context(HEADERS));
  const replay = await addMessageIdHeader.apply(context(HEADERS, { now: new Date('2030-01-01T00:00:00Z') }));
  assert.deepEqual(replay, first);
});

test('differs for different queue ids', async () => {
  const a = await addMessageIdHeader.apply(context(HEADERS));
  const b = await addMessageIdHeader.apply(
    context(HEADERS, { message: message({ id: '01HZX3K9QGQ8W6Q2T1V5N7M4PB' }) }),
  );
  assert.notDeepEqual(a, b);
});

for (const field of ['Message-ID: <x@y>', 'message-id: <x@y>', 'MESSAGE-ID:\r\n <x@y>']) {
  test(`does not add Message-Id when "${field.split('\r')[0]}" is present`, async () => {
    assert.deepEqual(await addMessageIdHeader.apply(context(`${HEADERS}${field}\r\n`)), {});
  });
}

test('escapes queue-id characters that are not dot-atom-safe, injectively', async () => {
  assert.equal(messageIdLocalPart('a-b_C9'), 'a-b_C9');
  assert.equal(messageIdLocalPart('a.b/c=d'), 'a=2Eb=2Fc=3Dd');
  assert.equal(messageIdLocalPart('é<>'), '=C3=A9=3C=3E');
  const effect = await addMessageIdHeader.apply(context(HEADERS, { message: message({ id: 'q/1 <x>' }) }));
  const parsed = await simpleParser(assemble(effect, HEADERS));
  assert.equal(parsed.messageId, '<20240305090806.q=2F1=20=3Cx=3E@mx.example.com>');
});
