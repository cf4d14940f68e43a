/**
 * addDateHeader: adds an RFC 5322 Date from ctx.now only when the original has none;
 * the result parses back with new Date() and with mailparser to the same instant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { addDateHeader } from '../../src/policies/addDateHeader.js';
import { NOW, assemble, context } from './policyContext.js';

const HEADERS = 'From: alice@example.org\r\nTo: bob@example.com\r\nSubject: hi\r\n';

test('adds Date from ctx.now when the message has none', async () => {
  const effect = await addDateHeader.apply(context(HEADERS));
  assert.deepEqual(effect, { prependHeaders: ['Date: Tue, 05 Mar 2024 09:08:07 +0000'] });
});

test('the added date parses back with new Date() and with mailparser', async () => {
  const effect = await addDateHeader.apply(context(HEADERS));
  const value = effect.prependHeaders![0]!.replace(/^Date: /, '');
  assert.equal(new Date(value).getTime(), NOW.getTime());
  const parsed = await simpleParser(assemble(effect, HEADERS));
  assert.equal(parsed.date?.getTime(), NOW.getTime());
});

test('is reproducible: the same context gives the same header', async () => {
  assert.deepEqual(await addDateHeader.apply(context(HEADERS)), await addDateHeader.apply(context(HEADERS)));
});

for (const [label, date] of [
  ['Date', 'Date: Mon, 04 Mar 2024 10:00:00 +0100\r\n'],
  ['a lowercase date', 'date: Mon, 04 Mar 2024 10:00:00 +0100\r\n'],
  ['a folded DATE', 'DATE:\r\n\tMon, 04 Mar 2024\r\n 10:00:00 +0100\r\n'],
] as const) {
  test(`does not add Date when ${label} is present`, async () => {
    assert.deepEqual(await addDateHeader.apply(context(HEADERS + date)), {});
  });
}

test('adds Date when "Date:" only appears in a continuation line', async () => {
  const effect = await addDateHeader.apply(context('Subject: hi\r\n\tDate: not a field\r\n'));
  assert.equal(effect.prependHeaders?.length, 1);
});
