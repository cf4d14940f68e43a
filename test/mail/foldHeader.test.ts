/**
 * Header folding: short lines unchanged, long ones broken at spaces with CRLF + TAB into
 * lines of at most 78 characters, and unfolding gives back the same words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldClauses, foldHeader } from '../../src/mail/foldHeader.js';

const unfold = (text: string) => text.replace(/\r\n\t/g, ' ');

test('leaves a line of 78 characters alone', () => {
  const line = `X-Test: ${'a'.repeat(70)}`;
  assert.equal(line.length, 78);
  assert.equal(foldHeader(line), line);
});

test('folds a long line at spaces into lines of at most 78 characters, TAB included', () => {
  const line = `Received: ${Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')}`;
  const folded = foldHeader(line);
  const lines = folded.split('\r\n');
  assert.ok(lines.length > 1);
  for (const [i, l] of lines.entries()) {
    assert.ok(l.length <= 78, `line ${i} is ${l.length} long`);
    if (i > 0) assert.match(l, /^\t\S/);
  }
  assert.equal(unfold(folded), line);
});

test('keeps a word longer than the width whole on its own line', () => {
  const long = 'x'.repeat(120);
  const folded = foldHeader(`X-Test: short ${long} tail`);
  assert.deepEqual(folded.split('\r\n'), ['X-Test: short', `\t${long}`, '\ttail']);
});

test('foldClauses breaks between clauses, not inside them', () => {
  const clauses = [
    'Received: from a.example (a.example [192.0.2.1])',
    '(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)',
    'by mx.example.com (mailtrail)',
    'with ESMTPS id 01HZX',
    'for <bob@example.com>;',
    'Tue, 05 Mar 2024 09:08:07 +0000',
  ];
  assert.deepEqual(foldClauses(clauses).split('\r\n'), [
    'Received: from a.example (a.example [192.0.2.1])',
    '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)',
    '\tby mx.example.com (mailtrail) with ESMTPS id 01HZX for <bob@example.com>;',
    '\tTue, 05 Mar 2024 09:08:07 +0000',
  ]);
});

test('foldClauses word-folds a clause too long for a line of its own', () => {
  const long = Array.from({ length: 20 }, (_, i) => `w${i}xxxx`).join(' ');
  const folded = foldClauses(['X-Test:', long]);
  for (const line of folded.split('\r\n')) assert.ok(line.length <= 78, line);
  assert.equal(folded.replace(/\r\n\t/g, ' '), `X-Test: ${long}`);
});
