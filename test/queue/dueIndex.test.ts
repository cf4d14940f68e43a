/**
 * The due-time index: entries come out earliest first and only once due, a removed or re-added
 * id is never handed out for its old time, one timer is armed for the earliest entry (on the
 * injected clock), and take(n) hands out at most n so a queue can wake them as it has room.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DueIndex, type DueTimer } from '../../src/queue/dueIndex.js';
import { seeded } from '../support/randomHistory.js';

/** A clock the test moves by hand, with the timers armed on it (the queue's injected clock). */
function manualClock() {
  let now = 1_000_000;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  const timer: DueTimer = {
    now: () => now,
    at: (at, fn) => {
      const t = { at, fn, live: true };
      timers.push(t);
      return () => {
        t.live = false;
      };
    },
  };
  return {
    timer,
    armed: () => timers.filter((t) => t.live).map((t) => t.at),
    advance(to: number) {
      now = to;
      for (const t of timers.filter((x) => x.live && x.at <= now)) {
        t.live = false;
        t.fn();
      }
    },
  };
}

describe('DueIndex', () => {
  it('hands out due entries earliest first, n at a time, with one timer for the earliest', () => {
    const clock = manualClock();
    let calls = 0;
    const index = new DueIndex(clock.timer, () => {
      calls += 1;
    });
    const random = seeded(7);
    const dues = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const due = 1_000_000 + Math.floor(random() * 100_000);
      dues.set(`M${i}`, due);
      index.add(`M${i}`, due, 'deferred');
    }
    assert.equal(index.size, 5000);
    assert.deepEqual(clock.armed(), [Math.min(...dues.values())]);
    assert.deepEqual(index.take(10), []);
    clock.advance(1_050_000);
    assert.equal(calls, 1);
    const out: string[] = [];
    for (let batch = index.take(100); batch.length > 0; batch = index.take(100)) {
      assert.ok(batch.length <= 100);
      out.push(...batch);
    }
    const expected = [...dues]
      .filter(([, d]) => d <= 1_050_000)
      .sort((a, b) => a[1] - b[1])
      .map(([id]) => id);
    assert.deepEqual(
      out.map((id) => dues.get(id)),
      expected.map((id) => dues.get(id)),
    );
    assert.equal(new Set(out).size, expected.length);
    assert.equal(index.size, 5000 - expected.length);
    assert.deepEqual(clock.armed(), [Math.min(...[...dues].filter(([id]) => index.has(id)).map(([, d]) => d))]);
  });

  it('never hands out a removed id, nor a re-added one at its old time', () => {
    const clock = manualClock();
    const index = new DueIndex(clock.timer, () => {});
    index.add('A', 1_000_010, 'deferred');
    index.add('B', 1_000_020, 'deferred');
    index.add('C', 1_000_030, 'received');
    assert.equal(index.remove('A'), true);
    index.add('B', 1_000_500, 'deferred');
    assert.equal(index.stateOf('C'), 'received');
    clock.advance(1_000_100);
    assert.deepEqual(index.take(10), ['C']);
    assert.deepEqual(clock.armed(), [1_000_500]);
    clock.advance(1_000_500);
    assert.deepEqual(index.take(10), ['B']);
    assert.equal(index.size, 0);
    assert.deepEqual(clock.armed(), []);
  });
});
