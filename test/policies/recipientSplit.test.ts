/**
 * recipientSplit and recipientDomainSplit (slimta's policy/split.py): one group per
 * recipient / per domain (case-insensitive, order of first appearance, addresses without a
 * domain alone and last); no effect when there would be only one group.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecipientDomainSplit, RecipientSplit, recipientDomain } from '../../src/policies/recipientSplit.js';
import { context, message } from './policyContext.js';

const ctxFor = (recipients: string[]) =>
  context('', { message: message({ envelope: { sender: 'a@example.org', recipients } }) });

describe('RecipientSplit', () => {
  const policy = new RecipientSplit();
  it('gives one group per recipient', async () => {
    assert.deepEqual(await policy.apply(ctxFor(['a@x.test', 'b@x.test', 'c@y.test'])), {
      split: [{ recipients: ['a@x.test'] }, { recipients: ['b@x.test'] }, { recipients: ['c@y.test'] }],
    });
  });
  it('does not split a single recipient', async () => {
    assert.deepEqual(await policy.apply(ctxFor(['a@x.test'])), {});
  });
});

describe('RecipientDomainSplit', () => {
  const policy = new RecipientDomainSplit();
  const table: [string, string[], string[][] | null][] = [
    [
      'one group per domain, in order of first appearance',
      ['a@y.test', 'b@x.test', 'c@y.test'],
      [['a@y.test', 'c@y.test'], ['b@x.test']],
    ],
    [
      'domains compare case-insensitively',
      ['a@X.test', 'b@x.TEST', 'c@z.test'],
      [['a@X.test', 'b@x.TEST'], ['c@z.test']],
    ],
    [
      'addresses without a domain alone, after the others',
      ['postmaster', 'a@x.test', 'b@', 'c@x.test'],
      [['a@x.test', 'c@x.test'], ['postmaster'], ['b@']],
    ],
    [
      'the last @ separates the domain',
      ['"a@b"@x.test', 'c@x.test', 'd@y.test'],
      [['"a@b"@x.test', 'c@x.test'], ['d@y.test']],
    ],
    ['no split when all share a domain', ['a@x.test', 'b@X.TEST'], null],
    ['no split for one address without a domain', ['postmaster'], null],
  ];
  for (const [label, recipients, groups] of table) {
    it(label, async () => {
      const expected = groups === null ? {} : { split: groups.map((g) => ({ recipients: g })) };
      assert.deepEqual(await policy.apply(ctxFor(recipients)), expected);
    });
  }
  it('recipientDomain lower-cases and rejects a missing domain', () => {
    assert.equal(recipientDomain('a@Ex.Test'), 'ex.test');
    assert.equal(recipientDomain('a@'), undefined);
    assert.equal(recipientDomain('a'), undefined);
  });
});
