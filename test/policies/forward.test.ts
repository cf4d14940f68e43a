/**
 * Forward: slimta's rewrite rules as a table — first matching rule wins, search anywhere
 * (re.sub), count limits the replacements, an empty result does not count as a match;
 * the effect lists the new recipients (duplicates dropped) and each rewrite, or is empty.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Forward, regexSubstitute, type ForwardRule } from '../../src/policies/forward.js';
import { context, message } from './policyContext.js';

const RULES: ForwardRule[] = [
  { pattern: '^postmaster@.*$', replace: 'admin@example.com' },
  { pattern: '^(\\w+)\\.(\\w+)@old\\.example$', replace: '$2.$1@new.example' },
  { pattern: '@old\\.example$', replace: '@new.example' },
  { pattern: 'a', replace: 'A', count: 2 },
  { pattern: '^(?<user>[^@]+)@Example\\.ORG$', replace: '$<user>+fwd@example.org', flags: 'i' },
  { pattern: '^drop@.*$', replace: '' },
];

const CASES: [string, string][] = [
  ['postmaster@anything.test', 'admin@example.com'],
  ['jane.doe@old.example', 'doe.jane@new.example'],
  ['someone@old.example', 'someone@new.example'],
  ['banana@x.test', 'bAnAna@x.test'],
  ['bob@EXAMPLE.org', 'bob+fwd@example.org'],
  ['drop@x.test', 'drop@x.test'],
  ['nobody@elsewhere.test', 'nobody@elsewhere.test'],
  ['$$@y.test', '$$@y.test'],
];

describe('Forward.rewrite', () => {
  const forward = new Forward(RULES);
  for (const [from, to] of CASES) {
    it(`rewrites ${from} to ${to}`, () => assert.equal(forward.rewrite(from), to));
  }

  it('tries rules in the order they were added (addMapping, as slimta)', () => {
    const f = new Forward().addMapping('@a\\.test$', '@b.test').addMapping('@b\\.test$', '@c.test');
    assert.equal(f.rewrite('x@a.test'), 'x@b.test');
    assert.equal(f.rewrite('x@b.test'), 'x@c.test');
  });

  it('accepts RegExp objects', () => {
    assert.equal(new Forward([{ pattern: /^(.*)@a\.test$/i, replace: '$1@b.test' }]).rewrite('X@A.TEST'), 'X@b.test');
  });
});

describe('regexSubstitute (re.subn)', () => {
  const table: [RegExp, string, string, number, string, number][] = [
    [/o/, '0', 'foo.boo', 0, 'f00.b00', 4],
    [/o/, '0', 'foo.boo', 3, 'f00.b0o', 3],
    [/(x)/, '[$1$1]', 'axb', 0, 'a[xx]b', 1],
    [/b/, '$&$&', 'abc', 0, 'abbc', 1],
    [/b/, "$`|$'", 'abc', 0, 'aa|cc', 1],
    [/b/, '$$', 'abc', 0, 'a$c', 1],
    [/(b)/, '$2', 'abc', 0, 'a$2c', 1],
    [/z/, 'y', 'abc', 0, 'abc', 0],
  ];
  for (const [re, repl, input, count, out, n] of table) {
    it(`${re} → ${JSON.stringify(repl)} on ${input} (count ${count}) gives ${out}`, () => {
      assert.deepEqual(regexSubstitute(re, repl, input, count), [out, n]);
      if (count === 0) assert.equal(input.replace(new RegExp(re.source, 'g'), repl), out, 'same as String.replace');
    });
  }
});

describe('Forward.apply', () => {
  const forward = new Forward(RULES);

  it('returns the rewritten recipients and each rewrite', async () => {
    const ctx = context('', {
      message: message({
        envelope: { sender: 's@x.test', recipients: ['someone@old.example', 'nobody@elsewhere.test'] },
      }),
    });
    assert.deepEqual(await forward.apply(ctx), {
      recipients: ['someone@new.example', 'nobody@elsewhere.test'],
      verdicts: { rewrites: [{ from: 'someone@old.example', to: 'someone@new.example' }] },
    });
  });

  it('drops a recipient that becomes a duplicate, keeping the first', async () => {
    const ctx = context('', {
      message: message({
        envelope: { sender: '', recipients: ['postmaster@a.test', 'admin@example.com', 'postmaster@b.test'] },
      }),
    });
    const effect = await new Forward(RULES.slice(0, 1)).apply(ctx);
    assert.deepEqual(effect.recipients, ['admin@example.com']);
    assert.equal((effect.verdicts as { rewrites: unknown[] }).rewrites.length, 2);
  });

  it('has no effect when no rule applies', async () => {
    const ctx = context('', { message: message({ envelope: { sender: '', recipients: ['nobody@elsewhere.test'] } }) });
    assert.deepEqual(await forward.apply(ctx), {});
  });

  it('a bad pattern fails when the rule is added', () => {
    assert.throws(() => new Forward([{ pattern: '(', replace: 'x' }]), SyntaxError);
  });
});
