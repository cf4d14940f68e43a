/** Session ids: smtp-server's shape (16 of 0-9a-v), ordered by time, unique within a millisecond. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SESSION_ID_PATTERN, newSessionId } from '../../src/mail/sessionId.js';

test('a session id is 16 characters of 0-9a-v whose first 9 are its time in milliseconds', () => {
  const now = Date.UTC(2026, 11, 2, 11, 30);
  const id = newSessionId(now);
  assert.match(id, SESSION_ID_PATTERN);
  assert.equal(Number.parseInt(id.slice(0, 9), 32), now);
});

test('ids sort as their times, and ids of one millisecond are distinct and in order', () => {
  const t = Date.UTC(2026, 11, 2, 11, 30);
  const sameMs = Array.from({ length: 500 }, () => newSessionId(t));
  assert.equal(new Set(sameMs).size, sameMs.length);
  assert.deepEqual([...sameMs].sort(), sameMs, 'the counter keeps them in order within the millisecond');
  const later = [t + 1, t + 31, t + 1000, t + 86_400_000].map((ms) => newSessionId(ms));
  assert.deepEqual([...later].sort(), later);
  assert.ok(later[0]! > sameMs.at(-1)!);
});
