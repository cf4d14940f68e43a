/**
 * The exit status → RFC 3463 table of the command relays, row by row against Postfix's
 * global/sys_exits.c (read from its source, 64 EX_USAGE to 78 EX_CONFIG), and its default
 * for codes outside the table: permanent 5.3.0 "unknown mail system error N".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYS_EXITS, sysExitStatus, UNKNOWN_EXIT_STATUS } from '../../src/relay/sysExits.js';

const postfix: Array<[code: number, name: string, status: string, outcome: 'transient' | 'permanent']> = [
  [64, 'EX_USAGE', '5.3.0', 'permanent'],
  [65, 'EX_DATAERR', '5.6.0', 'permanent'],
  [66, 'EX_NOINPUT', '5.3.0', 'permanent'],
  [67, 'EX_NOUSER', '5.1.1', 'permanent'],
  [68, 'EX_NOHOST', '5.1.2', 'permanent'],
  [69, 'EX_UNAVAILABLE', '5.3.0', 'permanent'],
  [70, 'EX_SOFTWARE', '5.3.0', 'permanent'],
  [71, 'EX_OSERR', '4.3.0', 'transient'],
  [72, 'EX_OSFILE', '5.3.0', 'permanent'],
  [73, 'EX_CANTCREAT', '5.2.0', 'permanent'],
  [74, 'EX_IOERR', '5.3.0', 'permanent'],
  [75, 'EX_TEMPFAIL', '4.3.0', 'transient'],
  [76, 'EX_PROTOCOL', '5.5.0', 'permanent'],
  [77, 'EX_NOPERM', '5.7.0', 'permanent'],
  [78, 'EX_CONFIG', '5.3.5', 'permanent'],
];

for (const [code, name, status, outcome] of postfix) {
  test(`maps exit status ${code} (${name}) to ${status} ${outcome}`, () => {
    const result = sysExitStatus(code);
    assert.equal(result.status, status);
    assert.equal(result.outcome, outcome);
    assert.equal(SYS_EXITS.find((row) => row.code === code)?.name, name);
  });
}

test('has exactly the fifteen rows of sys_exits.c, in code order', () => {
  assert.deepEqual(
    SYS_EXITS.map((row) => [row.code, row.name, row.status]),
    postfix.map(([c, n, s]) => [c, n, s]),
  );
});

for (const code of [1, 2, 63, 79, 99, 127, 255]) {
  test(`treats unknown exit status ${code} as permanent 5.3.0`, () => {
    assert.deepEqual(sysExitStatus(code), {
      outcome: 'permanent',
      status: UNKNOWN_EXIT_STATUS,
      text: `unknown mail system error ${code}`,
    });
  });
}

test('lets the first digit of the status decide the outcome', () => {
  for (const row of SYS_EXITS)
    assert.equal(sysExitStatus(row.code).outcome, row.status.startsWith('4') ? 'transient' : 'permanent');
});
