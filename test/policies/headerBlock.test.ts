/**
 * Header detection: case-insensitive, folded continuation lines are not fields, the body
 * is not headers, CRLF and LF both work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasHeader, headerNames } from '../../src/policies/headerBlock.js';

const table: Array<[label: string, block: string, name: string, expected: boolean]> = [
  ['finds Date', 'Subject: a\nDate: Tue, 05 Mar 2024 09:08:07 +0000\n', 'Date', true],
  ['ignores case of the field', 'DATE: x\n', 'date', true],
  ['ignores case of the query', 'message-id: <a@b>\n', 'Message-ID', true],
  ['accepts WSP before the colon', 'Date : x\n', 'date', true],
  ['works with CRLF', 'Subject: a\r\nMessage-ID: <a@b>\r\n\r\n', 'message-id', true],
  ['finds a folded field by its first line', 'Date:\r\n Tue, 05 Mar 2024\r\n 09:08:07 +0000\r\n', 'date', true],
  ['does not take a continuation line for a field', 'Subject: a\n\tDate: not a field\n', 'date', false],
  ['does not take a space-folded line for a field', 'Subject: a\n Date: no\n', 'date', false],
  ['does not match a longer name', 'X-Date: a\nDated: b\n', 'date', false],
  ['stops at the end of the header block', 'Subject: a\n\nDate: in the body\n', 'date', false],
  [
    'does not take an mbox From_ line for From',
    'From alice@example.org Tue Mar  5 09:08:07 2024\nSubject: a\n',
    'from',
    false,
  ],
];

for (const [label, block, name, expected] of table) {
  test(`hasHeader ${label}`, () => assert.equal(hasHeader(block, name), expected));
}

test('headerNames lists the fields lowercased, in order', () => {
  assert.deepEqual(headerNames('Received: a\n\tb\nFrom: x\nSUBJECT: y\n\nTo: body\n'), ['received', 'from', 'subject']);
});
