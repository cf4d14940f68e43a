/**
 * RFC 5322 date text: fixed format, UTC with +0000, and it parses back to the same instant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRfc5322Date } from '../../src/mail/rfc5322Date.js';

const table: Array<[iso: string, text: string]> = [
  ['2024-03-05T09:08:07.000Z', 'Tue, 05 Mar 2024 09:08:07 +0000'],
  ['1999-12-31T23:59:59.999Z', 'Fri, 31 Dec 1999 23:59:59 +0000'],
  ['2024-02-29T00:00:00.000Z', 'Thu, 29 Feb 2024 00:00:00 +0000'],
];

for (const [iso, text] of table) {
  test(`formats ${iso} as "${text}" and parses back with new Date()`, () => {
    assert.equal(formatRfc5322Date(new Date(iso)), text);
    assert.equal(new Date(text).getTime(), Math.floor(new Date(iso).getTime() / 1000) * 1000);
  });
}

test('refuses an invalid Date', () => {
  assert.throws(() => formatRfc5322Date(new Date('nope')), { name: 'InvariantError' });
});
