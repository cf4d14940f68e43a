/** Upcasters raise old payloads step by step; a missing step or a future schema is an InvariantError. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantError } from '../../src/errors/mailtrailError.js';
import { upcast, type Upcaster } from '../../src/replay/upcasters.js';

const list: Upcaster[] = [
  { type: 'DeliveryDeferred', from: 1, up: (d) => ({ ...d, status: d.dsn, dsn: undefined }) },
  { type: 'DeliveryDeferred', from: 2, up: (d) => ({ ...d, nextAttemptAt: d.nextAttemptAt ?? d.at }) },
];

describe('upcast', () => {
  it('raises a schema-1 payload through every step to the latest', () => {
    const out = upcast('DeliveryDeferred', { dsn: '4.2.0', at: 'T' }, 1, list);
    assert.equal(out.status, '4.2.0');
    assert.equal(out.nextAttemptAt, 'T');
  });
  it('leaves a current payload alone', () => {
    const data = { status: '4.2.0', nextAttemptAt: 'X' };
    assert.deepEqual(upcast('DeliveryDeferred', data, 3, list), data);
    assert.deepEqual(upcast('MessageReceived', { a: 1 }, 1, list), { a: 1 });
  });
  it('refuses a schema newer than this version knows', () => {
    assert.throws(() => upcast('MessageReceived', {}, 2, list), InvariantError);
  });
  it('refuses a gap in the chain', () => {
    assert.throws(() => upcast('X', {}, 1, [{ type: 'X', from: 2, up: (d) => d }]), /no upcaster for X from schema 1/);
  });
});
