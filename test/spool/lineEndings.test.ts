/**
 * CrlfToLf on hand-cut chunk sequences: every way of splitting a text into chunks must
 * give the same output as converting it whole. Pure, no disk.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrlfToLf } from '../../src/spool/lineEndings.js';

function convert(parts: string[]): string {
  const c = new CrlfToLf();
  const out = parts.map((p) => c.push(Buffer.from(p, 'latin1')).toString('latin1'));
  return out.join('') + c.flush().toString('latin1');
}

describe('CrlfToLf', () => {
  const cases: Array<[string, string]> = [
    ['a\r\nb\r\n', 'a\nb\n'],
    ['lone\rcr\r\n', 'lone\rcr\n'],
    ['\r\r\n\r', '\r\n\r'],
    ['\r\n\r\n\r\n', '\n\n\n'],
    ['no line ends', 'no line ends'],
    ['', ''],
  ];
  for (const [input, want] of cases) {
    it(`converts ${JSON.stringify(input)} the same at every split point`, () => {
      assert.equal(convert([input]), want);
      for (let i = 0; i <= input.length; i++) {
        for (let j = i; j <= input.length; j++) {
          assert.equal(convert([input.slice(0, i), input.slice(i, j), input.slice(j)]), want, `split ${i},${j}`);
        }
      }
    });
  }

  it('converts byte-at-a-time input', () => {
    const input = 'x\r\ny\r\rz\r\n\r';
    assert.equal(convert([...input]), 'x\ny\r\rz\n\r');
  });
});
