/**
 * Keeps docs/smtp.md in step with the code: every line of the `replies` catalogue appears in
 * the doc's reply table, and the EHLO keywords and defaults the doc lists are the edge's.
 * Also unit checks of the pure helpers behind those lines (bare LF, local parts, HELO names).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { SMTP_EDGE_DEFAULTS, isUnsafeLocalPart, isValidHeloName, replies, replyLine } from '../../src/edge/index.js';
import { hasBareLf } from '../../src/edge/dataReceiver.js';
import { normalizeReply } from '../../src/edge/smtpReply.js';

const doc = await readFile(new URL('../../docs/smtp.md', import.meta.url), 'utf8');

/** Sample arguments that print as the doc's placeholders. */
const samples: { [K in keyof typeof replies]: Parameters<(typeof replies)[K]> } = {
  relayDenied: ['addr'],
  userUnknown: ['addr'],
  badLocalPart: ['addr'],
  invalidHelo: ['name'],
  tooManyRecipients: [],
  messageTooBig: [SMTP_EDGE_DEFAULTS.maxMessageSize],
  bareLf: [],
  queued: ['<id>'],
  storageFull: [],
  storageFailed: [],
  authInTransaction: [],
  authFailed: [],
  authUnavailable: [],
  tooManyErrors: ['<hostname>'],
  tooManyConnections: ['<hostname>', '<ip>'],
  timeoutExceeded: ['<hostname>'],
  tooManyHops: [],
  utf8NotDeclared: [],
  leadingDash: ['addr'],
};

describe('docs/smtp.md', () => {
  for (const [name, args] of Object.entries(samples)) {
    it(`lists the ${name} reply exactly`, () => {
      const line = replyLine(
        (replies[name as keyof typeof replies] as (...a: unknown[]) => Parameters<typeof replyLine>[0])(...args),
      );
      assert.ok(doc.includes(`| \`${line}\` |`), `docs/smtp.md has no row for \`${line}\``);
    });
  }

  it('lists every default limit', () => {
    for (const [key, value] of Object.entries(SMTP_EDGE_DEFAULTS)) {
      assert.match(doc, new RegExp(`\\| \`${key}\` \\| [^|]*\\|`), `${key} (${value}) is not in the limits table`);
    }
  });
});

describe('edge helpers', () => {
  it('finds a bare LF, also across chunks, and accepts CRLF split between chunks', () => {
    assert.equal(hasBareLf(Buffer.from('a\r\nb\r\n'), false), false);
    assert.equal(hasBareLf(Buffer.from('a\nb'), false), true);
    assert.equal(hasBareLf(Buffer.from('\nb'), true), false);
    assert.equal(hasBareLf(Buffer.from('\nb'), false), true);
  });

  it('refuses local parts that could leave a Maildir', () => {
    for (const bad of ['a/b', '..', '.hidden', 'a..b', 'a\0b', 'a\x1fb', '', '../etc', '"a\\"b"', 'x'.repeat(256)])
      assert.equal(isUnsafeLocalPart(bad), true, JSON.stringify(bad));
    for (const good of ['bob', 'bob.smith', 'bob+tag', "o'brien"]) assert.equal(isUnsafeLocalPart(good), false, good);
  });

  it('accepts hostnames and address literals as HELO names', () => {
    for (const ok of ['mx.example.org', 'localhost', 'host_1.example', '[127.0.0.1]', '[IPv6:::1]'])
      assert.equal(isValidHeloName(ok), true, ok);
    for (const bad of ['bad!name', '[999.1.1.1]', '-x.example', 'a..b', ''])
      assert.equal(isValidHeloName(bad), false, bad);
  });

  it('takes an enhanced code written in the message (slimta style) and drops one of the wrong class', () => {
    assert.deepEqual(normalizeReply({ code: 550, enhanced: '2.0.0', message: '5.7.1 <a> Not authenticated' }), {
      code: 550,
      enhanced: '5.7.1',
      message: '<a> Not authenticated',
    });
    assert.deepEqual(normalizeReply({ code: 451, enhanced: '2.0.0', message: 'later' }), {
      code: 451,
      enhanced: '4.0.0',
      message: 'later',
    });
  });
});
