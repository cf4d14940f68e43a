/**
 * The blackhole relay reports every recipient delivered, in order, without reading content.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlackholeRelay } from '../../src/relay/blackholeRelay.js';
import { deliveryRequest } from './deliveryRequest.js';

test('reports every recipient delivered with 2.0.0 and never opens the content', async () => {
  const request = deliveryRequest('Subject: x\n\nbody\n', ['a@example.com', 'b@example.net']);
  let opened = 0;
  const relay = new BlackholeRelay();
  const results = await relay.deliver({ ...request, openContent: (o) => (opened++, request.openContent(o)) });
  assert.equal(relay.name, 'blackhole');
  assert.deepEqual(
    results.map((r) => [r.recipient, r.outcome, r.status]),
    [
      ['a@example.com', 'delivered', '2.0.0'],
      ['b@example.net', 'delivered', '2.0.0'],
    ],
  );
  assert.equal(opened, 0);
});
