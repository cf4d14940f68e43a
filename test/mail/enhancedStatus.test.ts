/**
 * One reading of RFC 3463 enhanced status codes (src/mail/enhancedStatus.ts) for the edge, the
 * relays and the DSN, and no second copy of the pattern anywhere in src/.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isEnhancedStatus, isFailureStatus, splitLeadingStatus } from '../../src/mail/enhancedStatus.js';
import { normalizeReply } from '../../src/edge/smtpReply.js';
import { parseReply } from '../../src/relay/replyStatus.js';

const src = join(import.meta.dirname, '..', '..', 'src');

describe('enhanced status codes', () => {
  it('splits a code written at the start of a text from the rest', () => {
    assert.deepEqual(splitLeadingStatus('5.7.1 <a@b> Not allowed'), { status: '5.7.1', rest: '<a@b> Not allowed' });
    assert.deepEqual(splitLeadingStatus('4.2.0  two blanks'), { status: '4.2.0', rest: 'two blanks' });
    assert.deepEqual(splitLeadingStatus('2.0.0'), { status: '2.0.0', rest: '' });
    assert.deepEqual(splitLeadingStatus('5.01.001 x'), { status: '5.1.1', rest: 'x' });
    for (const text of ['3.1.1 x', '5.1.1x', '5.1 x', '5.1.1234 x', 'Ok 5.1.1'])
      assert.equal(splitLeadingStatus(text), undefined, text);
  });

  it('tells a whole code, and a failure status (4 or 5) for a DSN', () => {
    assert.ok(isEnhancedStatus('2.1.5'));
    assert.ok(!isEnhancedStatus('2.1.5 '));
    assert.ok(isFailureStatus('4.4.1') && isFailureStatus('5.0.0'));
    assert.ok(!isFailureStatus('2.0.0'));
  });

  it('reads the same in the edge and in the relays', () => {
    assert.deepEqual(normalizeReply({ code: 550, message: '5.7.1  Not allowed' }), {
      code: 550,
      enhanced: '5.7.1',
      message: 'Not allowed',
    });
    assert.equal(parseReply('550 5.7.1  Not allowed')?.enhanced, '5.7.1');
    assert.equal(parseReply('550 5.01.1 unknown')?.enhanced, '5.1.1');
    // A code of another class than the reply's is not the reply's status.
    assert.equal(normalizeReply({ code: 550, message: '4.7.1 x' }).enhanced, '5.0.0');
    assert.equal(parseReply('550 4.7.1 x')?.enhanced, undefined);
  });

  it('is written once in src/', async () => {
    const copies: string[] = [];
    for (const entry of await readdir(src, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const path = join(entry.parentPath, entry.name);
      if (path.endsWith(join('mail', 'enhancedStatus.ts'))) continue;
      if ((await readFile(path, 'utf8')).includes(String.raw`\.\d{1,3}\.\d{1,3}`)) copies.push(path);
    }
    assert.deepEqual(copies, []);
  });
});
