/**
 * Smoke test of `npm run bench -- compare`: with a tiny load and without Postfix (which the
 * real comparison reconfigures system-wide), the command runs the real daemon under
 * smtp-source and the latency probe and prints the table with every column and its
 * configuration line; the warm-up runs first and is named in the header. Figures are not
 * asserted (tests never assert timings).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

test('compare --no-postfix prints the table with its columns and the configuration', () => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', 'compare', '--no-postfix', '--n', '20', '--warm', '10', '--variants', 'accept'],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
  for (const column of [
    'accepted msg/s',
    'delivered msg/s',
    'ratio to Postfix',
    'CPU ms/msg',
    'end of DATA→250',
    'load avg',
  ]) {
    assert.ok(out.includes(column), `no column "${column}" in:\n${out}`);
  }
  assert.match(out, /after 10 messages of the same load on each side \(not counted\)/);
  assert.match(out, /writer thread/);
  assert.match(out, /body inline threshold/);
  const row = out.split('\n').find((line) => line.includes('| mailtrail blackhole |'));
  assert.ok(row, `no mailtrail row in:\n${out}`);
  const cells = row.split('|').map((c) => c.trim());
  assert.match(cells[3]!, /^[\d,]+$/, 'accepted msg/s is a number');
  assert.match(cells[7]!, /\(\d+\)$/, 'the latency cell gives its sample count');
});

test('compare --floor adds the floor program beside the daemon, every message delivered into its Maildir', () => {
  const out = execFileSync(
    process.execPath,
    [
      ...['--import', 'tsx', 'bench/run.ts', 'compare', '--no-postfix', '--floor'],
      ...['--n', '20', '--warm', '10', '--variants', 'maildir-reuse'],
    ],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
  const rows = out.split('\n').filter((line) => line.startsWith('| Maildir, connections reused'));
  assert.equal(rows.length, 2, `a mailtrail row and a floor row in:\n${out}`);
  assert.ok(rows[0]!.includes('| mailtrail maildir |'), rows[0]);
  const floor = rows[1]!.split('|').map((c) => c.trim());
  assert.equal(floor[2], 'floor (no history) maildir, 20 at a time');
  // The bench waits until the floor has marked every message done, which it does only after
  // the Maildir delivery: a delivered rate means all 10 + 20 (+ the probe's) got there.
  assert.match(floor[4]!, /^[\d,]+$/, 'delivered msg/s is a number');
});

test('compare refuses a warm-up that is not a whole number of messages', () => {
  assert.throws(
    () =>
      execFileSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'compare', '--no-postfix', '--warm', '-3'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      }),
    (err: { stderr?: string }) => /--warm: expected a whole number of messages, got -3/.test(err.stderr ?? ''),
  );
});
