/**
 * buildDsn, parsed back with mailparser: the envelope (<> → original sender), the top
 * headers, the three parts and their types, the RFC 3464 fields per message and per
 * recipient, the RFC 6533 variant for SMTPUTF8 mail, determinism, and the refusals
 * (never bounce a bounce).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser as parseMail, type ParsedMail } from 'mailparser';
import { buildDsn, type DsnInput } from '../../src/bounce/dsn.js';
import { addressValue, utf8AddrText } from '../../src/bounce/deliveryStatus.js';
import type { QueuedMessage } from '../../src/mail/envelope.js';

const MESSAGE: QueuedMessage = {
  id: '01HZX3K9QGQ8W6Q2T1V5N7M4PA',
  envelope: { sender: 'alice@example.org', recipients: ['bob@example.com', 'carol@example.net', 'dave@example.net'] },
  receivedAt: '2024-03-05T09:08:06.000Z',
  size: 1234,
};

function input(overrides: Partial<DsnInput> = {}): DsnInput {
  return {
    reportingMta: 'mx.example.com',
    message: MESSAGE,
    arrivalDate: new Date('2024-03-05T09:08:06.000Z'),
    failed: [
      {
        recipient: 'bob@example.com',
        status: '5.1.1',
        diagnostic: '550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in local recipient table',
        remoteMta: 'mx1.example.com',
      },
      {
        recipient: 'carol@example.net',
        status: '5.2.2',
        diagnostic: '552-5.2.2 Mailbox full\r\n552 5.2.2 Try again never',
        action: 'failed',
      },
    ],
    originalHeaders:
      'From: Alice <alice@example.org>\nTo: bob@example.com\nSubject: Lunch?\nMessage-ID: <orig@example.org>\n\n',
    dsnMessageId: '20240306090806.DSN01@mx.example.com',
    now: new Date('2024-03-06T09:08:06.000Z'),
    ...overrides,
  };
}

/** mailparser, keeping message/delivery-status as a part of its own rather than text. */
const simpleParser = (content: Buffer | string) => parseMail(content, { keepDeliveryStatus: true });

/** The blocks of a delivery-status body, each a map of lowercased field → unfolded value. */
function statusBlocks(body: string): Array<Map<string, string>> {
  return body
    .trim()
    .split(/\r\n\r\n/)
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
        const colon = line.indexOf(':');
        fields.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
      return fields;
    });
}

function part(parsed: ParsedMail, type: string) {
  const found = parsed.attachments.find((a) => a.contentType === type);
  assert.ok(found, `no ${type} part among ${parsed.attachments.map((a) => a.contentType).join(', ')}`);
  return found;
}

test('sends from the null sender to the original sender, CRLF only', () => {
  const dsn = buildDsn(input());
  assert.deepEqual(dsn.envelope, { sender: '', recipients: ['alice@example.org'] });
  const text = dsn.content.toString('utf8');
  assert.doesNotMatch(text, /[^\r]\n/);
  assert.match(text, /\r\n$/);
});

test('has the report headers: From MAILER-DAEMON, To, Subject, Date, Message-Id, Auto-Submitted, multipart/report', async () => {
  const parsed = await simpleParser(buildDsn(input()).content);
  assert.equal(parsed.from?.value[0]?.address, 'MAILER-DAEMON@mx.example.com');
  assert.equal((parsed.to as { text: string }).text, 'alice@example.org');
  assert.equal(parsed.subject, 'Undelivered Mail Returned to Sender');
  assert.equal(parsed.date?.toISOString(), '2024-03-06T09:08:06.000Z');
  assert.equal(parsed.messageId, '<20240306090806.DSN01@mx.example.com>');
  assert.equal(parsed.headers.get('auto-submitted'), 'auto-replied');
  const type = parsed.headers.get('content-type') as { value: string; params: Record<string, string> };
  assert.equal(type.value, 'multipart/report');
  assert.equal(type.params['report-type'], 'delivery-status');
  assert.match(type.params.boundary!, /^=_mailtrail-dsn\.[0-9a-f]{32}$/);
});

test('has a Postfix-like notification, the delivery status and the original headers, in that order', async () => {
  const content = buildDsn(input()).content.toString('utf8');
  const order = [
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Type: message/delivery-status',
    'Content-Type: text/rfc822-headers',
  ].map((t) => content.indexOf(t));
  assert.ok(order.every((i) => i > 0) && order[0]! < order[1]! && order[1]! < order[2]!, String(order));

  const parsed = await simpleParser(content);
  assert.match(parsed.text ?? '', /^This is the mail system at host mx\.example\.com\./);
  assert.match(parsed.text ?? '', /<bob@example\.com>: 550 5\.1\.1 <bob@example\.com>: Recipient address rejected:/);
  assert.match(parsed.text ?? '', /<carol@example\.net>: 552-5\.2\.2 Mailbox full 552 5\.2\.2 Try again never/);
  const headers = content.slice(content.indexOf('Content-Type: text/rfc822-headers'));
  assert.match(
    headers,
    /\r\n\r\nFrom: Alice <alice@example\.org>\r\nTo: bob@example\.com\r\nSubject: Lunch\?\r\nMessage-ID: <orig@example\.org>\r\n\r\n--/,
  );
});

test('reports Reporting-MTA and Arrival-Date per message and the RFC 3464 fields per recipient', async () => {
  const parsed = await simpleParser(buildDsn(input()).content);
  assert.deepEqual(
    parsed.attachments.map((a) => a.contentType),
    ['message/delivery-status', 'text/rfc822-headers'],
  );
  assert.match(part(parsed, 'text/rfc822-headers').content.toString('utf8'), /^From: Alice <alice@example\.org>\r\n/);
  const status = part(parsed, 'message/delivery-status');
  const [perMessage, bob, carol, ...rest] = statusBlocks(status.content.toString('utf8'));
  assert.equal(rest.length, 0);
  assert.equal(perMessage!.get('reporting-mta'), 'dns; mx.example.com');
  assert.equal(perMessage!.get('arrival-date'), 'Tue, 05 Mar 2024 09:08:06 +0000');
  assert.equal(perMessage!.get('x-mailtrail-queue-id'), '01HZX3K9QGQ8W6Q2T1V5N7M4PA');
  assert.deepEqual(Object.fromEntries(bob!), {
    'final-recipient': 'rfc822; bob@example.com',
    action: 'failed',
    status: '5.1.1',
    'remote-mta': 'dns; mx1.example.com',
    'diagnostic-code':
      'smtp; 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in local recipient table',
  });
  assert.deepEqual(Object.fromEntries(carol!), {
    'final-recipient': 'rfc822; carol@example.net',
    action: 'failed',
    status: '5.2.2',
    'diagnostic-code': 'smtp; 552-5.2.2 Mailbox full 552 5.2.2 Try again never',
  });
  for (const line of status.content.toString('utf8').split('\r\n')) assert.ok(line.length <= 78, line);
});

test('uses the given diagnostic-type when the reason is not an SMTP reply', async () => {
  const failed = [
    {
      recipient: 'dave@example.net',
      status: '5.2.2',
      diagnostic: 'maildir delivery failed: EDQUOT',
      diagnosticType: 'X-mailtrail',
    },
  ];
  const parsed = await simpleParser(buildDsn(input({ failed })).content);
  const [, dave] = statusBlocks(part(parsed, 'message/delivery-status').content.toString('utf8'));
  assert.equal(dave!.get('diagnostic-code'), 'X-mailtrail; maildir delivery failed: EDQUOT');
});

test('for SMTPUTF8 mail uses message/global-delivery-status, message/global-headers and utf-8 addresses', async () => {
  const message: QueuedMessage = {
    ...MESSAGE,
    smtputf8: true,
    envelope: { sender: 'jürgen@example.org', recipients: ['用户@example.net'] },
  };
  const dsn = buildDsn(
    input({
      message,
      failed: [{ recipient: '用户@example.net', status: '5.1.1', diagnostic: '550 5.1.1 用户不存在' }],
      originalHeaders: 'From: jürgen@example.org\r\nSubject: Grüße\r\n',
    }),
  );
  assert.deepEqual(dsn.envelope, { sender: '', recipients: ['jürgen@example.org'] });
  const parsed = await simpleParser(dsn.content);
  const type = parsed.headers.get('content-type') as { value: string; params: Record<string, string> };
  assert.equal(type.params['report-type'], 'global-delivery-status');
  assert.equal((parsed.to as { text: string }).text, 'jürgen@example.org');
  assert.match(parsed.text ?? '', /<用户@example\.net>: 550 5\.1\.1 用户不存在/);
  const [, rcpt] = statusBlocks(part(parsed, 'message/global-delivery-status').content.toString('utf8'));
  assert.equal(rcpt!.get('final-recipient'), 'utf-8; 用户@example.net');
  assert.equal(rcpt!.get('diagnostic-code'), 'smtp; 550 5.1.1 用户不存在');
  assert.equal(
    part(parsed, 'message/global-headers').content.toString('utf8'),
    'From: jürgen@example.org\r\nSubject: Grüße\r\n',
  );
  assert.match(dsn.content.toString('utf8'), /\r\nContent-Transfer-Encoding: 8bit\r\n\r\nThis is a MIME/);
});

test('keeps a plain DSN 7-bit: a stray UTF-8 address as utf-8 xtext, other text as ?', async () => {
  const failed = [{ recipient: 'josé@example.net', status: '5.1.1', diagnostic: '550 no such user josé' }];
  const content = buildDsn(input({ failed })).content.toString('utf8');
  const status = content.slice(
    content.indexOf('Content-Type: message/delivery-status'),
    content.indexOf('Content-Type: text/rfc822-headers'),
  );
  assert.match(status, /Final-Recipient: utf-8; jos\\x\{E9\}@example\.net\r\n/);
  assert.match(status, /Diagnostic-Code: smtp; 550 no such user jos\?\r\n/);
  assert.match(status, /^[\x00-\x7f]*$/);
});

test('encodes RFC 6533 address text: + = \\ always, non-ASCII only in xtext', () => {
  assert.equal(utf8AddrText('a+b=c\\d@example.com', true), 'a\\x{2B}b\\x{3D}c\\x{5C}d@example.com');
  assert.equal(utf8AddrText('用户@example.net', false), '\\x{7528}\\x{6237}@example.net');
  assert.equal(utf8AddrText('用户@example.net', true), '用户@example.net');
  assert.equal(addressValue('user+tag@example.com', true), 'rfc822; user+tag@example.com');
});

test('is reproducible: the same input gives the same bytes; other ids another boundary', () => {
  assert.deepEqual(buildDsn(input()).content, buildDsn(input()).content);
  const boundary = (c: Buffer) => /boundary="([^"]+)"/.exec(c.toString())![1];
  assert.notEqual(
    boundary(buildDsn(input()).content),
    boundary(buildDsn(input({ dsnMessageId: 'other@mx.example.com' })).content),
  );
});

test('adds @reportingMta and the angle brackets to a bare dsnMessageId', async () => {
  const parsed = await simpleParser(buildDsn(input({ dsnMessageId: 'DSN42' })).content);
  assert.equal(parsed.messageId, '<DSN42@mx.example.com>');
});

test('never bounces a bounce: throws for a message from the null sender', () => {
  const message: QueuedMessage = { ...MESSAGE, envelope: { sender: '', recipients: ['bob@example.com'] } };
  assert.throws(() => buildDsn(input({ message })), { name: 'InvariantError', message: /null sender/ });
});

test('refuses an empty failure list and a status that is not 4.x.x or 5.x.x', () => {
  assert.throws(() => buildDsn(input({ failed: [] })), { name: 'InvariantError' });
  assert.throws(
    () => buildDsn(input({ failed: [{ recipient: 'b@example.com', status: '2.0.0', diagnostic: 'ok' }] })),
    { name: 'InvariantError' },
  );
});

test('cannot be broken by a diagnostic holding CRLF and a boundary-like line', async () => {
  const diagnostic = '550 bad\r\n--=_mailtrail-dsn.x--\r\nX-Injected: yes';
  const parsed = await simpleParser(
    buildDsn(input({ failed: [{ recipient: 'b@example.com', status: '5.0.0', diagnostic }] })).content,
  );
  const [, rcpt] = statusBlocks(part(parsed, 'message/delivery-status').content.toString('utf8'));
  assert.equal(rcpt!.get('diagnostic-code'), 'smtp; 550 bad --=_mailtrail-dsn.x-- X-Injected: yes');
  assert.equal(rcpt!.get('x-injected'), undefined);
});
