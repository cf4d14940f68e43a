/**
 * The log's field stripper: listed fields go at four depths (in arrays too), the caller's
 * object is not changed, untouched objects are passed through as they are, an Error carrying a
 * listed field keeps its type, message and stack, and a fifth level is left alone (as the
 * redact paths it replaced).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { stripListedFields } from '../../src/logging/fieldStripper.js';

it("removes listed fields without touching the caller's object", () => {
  const input = {
    to: 'a@x.test',
    relay: { auth: { user: 'mx', pass: 'S' } },
    list: [{ subject: 'S', ok: 1 }],
    a: { b: { c: { d: { token: 'deep' } } } },
  };
  const out = stripListedFields(input);
  assert.deepEqual(out, {
    to: 'a@x.test',
    relay: { auth: { user: 'mx' } },
    list: [{ ok: 1 }],
    a: { b: { c: { d: { token: 'deep' } } } },
  });
  assert.equal(input.relay.auth.pass, 'S', 'the input is unchanged');
  const plain = { to: 'a@x.test', nested: { n: 1 } };
  assert.equal(stripListedFields(plain), plain, 'nothing to remove: the same object');
});

it('an Error with a listed field becomes a plain copy with type, message and stack', () => {
  const err = Object.assign(new Error('boom'), { password: 'S', code: 'E1' });
  const out = stripListedFields({ err }) as { err: Record<string, unknown> };
  assert.equal(out.err.password, undefined);
  assert.equal(out.err.message, 'boom');
  assert.equal(out.err.type, 'Error');
  assert.equal(out.err.code, 'E1');
  assert.match(String(out.err.stack), /boom/);
  const clean = new Error('fine');
  assert.equal((stripListedFields({ err: clean }) as { err: unknown }).err, clean);
});
