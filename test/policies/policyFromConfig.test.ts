/**
 * The library classes and the config factory: the header policy classes give exactly what
 * their policy objects give; each `policies` entry of a parsed config builds its policy with
 * its options; bad forward rules fail at parse time; X-Spam-Status folds at 78 and unfolds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policiesSchema } from '../../src/config/policySchema.js';
import {
  AddDateHeader,
  AddMessageIdHeader,
  AddReceivedHeader,
  Forward,
  RecipientDomainSplit,
  RecipientSplit,
  SpamAssassin,
  addDateHeader,
  addMessageIdHeader,
  addReceivedHeader,
  spamStatusHeader,
} from '../../src/policies/index.js';
import { policyFromConfig } from '../../src/config/policyFromConfig.js';
import { context } from './policyContext.js';

describe('header policy classes', () => {
  const pairs = [
    [new AddDateHeader(), addDateHeader],
    [new AddMessageIdHeader(), addMessageIdHeader],
    [new AddReceivedHeader(), addReceivedHeader],
  ] as const;
  for (const [instance, object] of pairs) {
    it(`new ${instance.constructor.name}() behaves as ${object.name}`, async () => {
      assert.equal(instance.name, object.name);
      const ctx = context('Subject: hi\r\n');
      assert.deepEqual(await instance.apply(ctx), await object.apply(ctx));
    });
  }
});

describe('policyFromConfig', () => {
  const parse = (entries: unknown[]) => policiesSchema.parse(entries);

  it('builds each configured policy, in order', () => {
    const built = parse([
      'addDateHeader',
      'addMessageIdHeader',
      'addReceivedHeader',
      { spamassassin: { port: 7830 } },
      { forward: [{ pattern: '^a@', replace: 'b@' }] },
      'recipientSplit',
      'recipientDomainSplit',
    ]).map((p) => policyFromConfig(p));
    assert.deepEqual(
      built.map((p) => p.constructor),
      [
        AddDateHeader,
        AddMessageIdHeader,
        AddReceivedHeader,
        SpamAssassin,
        Forward,
        RecipientSplit,
        RecipientDomainSplit,
      ],
    );
    assert.deepEqual((built[3] as SpamAssassin).address, { host: '127.0.0.1', port: 7830 });
    assert.equal((built[4] as Forward).rewrite('a@x.test'), 'b@x.test');
  });

  it('a socket replaces host and port', () => {
    const [config] = parse([{ spamassassin: { socket: '/run/spamd.sock', onError: 'pass', maxSize: 1000 } }]);
    assert.deepEqual((policyFromConfig(config!) as SpamAssassin).address, { socket: '/run/spamd.sock' });
  });

  it('rejects a forward rule whose pattern is not a regular expression', () => {
    const result = policiesSchema.safeParse([{ forward: [{ pattern: '(', replace: 'x' }] }]);
    assert.equal(result.success, false);
    assert.deepEqual(result.error!.issues[0]!.path, [0, 'forward', 0, 'pattern']);
  });

  it('rejects an unknown onError', () => {
    assert.equal(policiesSchema.safeParse([{ spamassassin: { onError: 'drop' } }]).success, false);
  });
});

describe('spamStatusHeader', () => {
  it('folds after commas and before words, no line longer than 78', () => {
    const tests = [
      'GTUBE',
      'HTML_MESSAGE',
      'MISSING_DATE',
      'MISSING_MID',
      'NO_RECEIVED',
      'NO_RELAYS',
      'TVD_SPACE_RATIO',
      'URIBL_BLOCKED',
      'RCVD_IN_DNSWL_NONE',
    ];
    const header = spamStatusHeader({ spam: true, score: 1002.5, required: 5, tests });
    const lines = header.split('\r\n');
    assert.ok(lines.length > 1);
    for (const line of lines) assert.ok(line.length <= 78, line);
    for (const line of lines.slice(1)) assert.match(line, /^\t\S/);
    assert.equal(
      header.replace(/\r\n\t/g, ''),
      `X-Spam-Status: Yes, score=1002.5 required=5.0 tests=${tests.join(',')}`,
    );
  });

  it('writes tests=none when no rule hit, and one decimal for scores', () => {
    assert.equal(
      spamStatusHeader({ spam: false, score: -0.25, required: 5, tests: [] }),
      'X-Spam-Status: No, score=-0.3 required=5.0 tests=none',
    );
  });
});
