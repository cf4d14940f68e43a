/**
 * addReceivedHeader: the RFC 5321 §4.4 trace field with RFC 3848 protocol names; `for`
 * only with exactly one recipient; IPv6 as [IPv6:...]; folding; client text sanitized;
 * parsed back with mailparser, its date with new Date().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { addReceivedHeader, addressLiteral, receivedHeader } from '../../src/policies/addReceivedHeader.js';
import { NOW, assemble, context, message } from './policyContext.js';

const HEADERS = 'From: alice@example.org\r\nSubject: hi\r\n';
const unfold = (line: string) => line.replace(/\r\n[ \t]/g, ' ');

async function received(overrides: Parameters<typeof message>[0] = {}): Promise<string> {
  const effect = await addReceivedHeader.apply(context(HEADERS, { message: message(overrides) }));
  assert.equal(effect.prependHeaders?.length, 1);
  return effect.prependHeaders![0]!;
}

test('writes from, by, with, id, for and the date, in that order', async () => {
  assert.equal(
    unfold(await received()),
    'Received: from client.example.org (client.example.org [192.0.2.10]) by mx.example.com (mailtrail) ' +
      'with ESMTP id 01HZX3K9QGQ8W6Q2T1V5N7M4PA for <bob@example.com>; Tue, 05 Mar 2024 09:08:07 +0000',
  );
});

test('adds "for" only with exactly one recipient', async () => {
  const two = await received({ envelope: { sender: 'a@example.org', recipients: ['b@example.com', 'c@example.com'] } });
  assert.doesNotMatch(unfold(two), / for /);
  assert.match(unfold(two), / id 01HZX3K9QGQ8W6Q2T1V5N7M4PA; Tue, 05 Mar 2024/);
  const none = await received({ envelope: { sender: 'a@example.org', recipients: [] } });
  assert.doesNotMatch(unfold(none), / for /);
  assert.match(unfold(await received()), / for <bob@example\.com>;/);
});

test('writes an IPv6 client as [IPv6:...] and an IPv4-mapped one as IPv4', async () => {
  const v6 = await received({
    client: { ip: '2001:DB8::1', rdns: 'v6.example.org', helo: 'v6.example.org', protocol: 'ESMTP' },
  });
  assert.match(unfold(v6), /^Received: from v6\.example\.org \(v6\.example\.org \[IPv6:2001:db8::1\]\) by /);
  const table: Array<[string, string]> = [
    ['192.0.2.1', '[192.0.2.1]'],
    ['::ffff:192.0.2.1', '[192.0.2.1]'],
    ['::1', '[IPv6:::1]'],
    ['fe80::1%eth0', '[IPv6:fe80::1]'],
    ['not an ip', '[not_an_ip]'],
  ];
  for (const [ip, literal] of table) assert.equal(addressLiteral(ip), literal, ip);
});

test('names the RFC 3848 protocol and the TLS parameters when there are some', async () => {
  const line = unfold(
    await received({
      client: {
        ip: '192.0.2.10',
        rdns: 'c.example.org',
        helo: 'c.example.org',
        protocol: 'ESMTPSA',
        tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
      },
    }),
  );
  assert.match(
    line,
    /\[192\.0\.2\.10\]\) \(using TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384\) by mx\.example\.com \(mailtrail\) with ESMTPSA id /,
  );
});

test('falls back to the rDNS name for a missing HELO and to "unknown" for a missing name', async () => {
  assert.match(
    unfold(await received({ client: { ip: '192.0.2.9', rdns: 'r.example.org', protocol: 'SMTP' } })),
    /^Received: from r\.example\.org \(r\.example\.org \[192\.0\.2\.9\]\) .* with SMTP /,
  );
  assert.match(
    unfold(await received({ client: { ip: '192.0.2.9', helo: 'h.example', protocol: 'SMTP' } })),
    /^Received: from h\.example \(unknown \[192\.0\.2\.9\]\) /,
  );
  assert.match(
    unfold(await received({ client: { ip: '192.0.2.9', protocol: 'SMTP' } })),
    /^Received: from unknown \(unknown \[192\.0\.2\.9\]\) /,
  );
});

test('writes only by/id/for for a message without a network client', async () => {
  const { client: _client, ...local } = message();
  const effect = await addReceivedHeader.apply(context(HEADERS, { message: local }));
  assert.equal(
    unfold(effect.prependHeaders![0]!),
    'Received: by mx.example.com (mailtrail) id 01HZX3K9QGQ8W6Q2T1V5N7M4PA for <bob@example.com>; Tue, 05 Mar 2024 09:08:07 +0000',
  );
});

test('cannot be broken by a hostile HELO', async () => {
  const line = await received({
    client: { ip: '192.0.2.10', helo: 'evil\r\nX-Injected: yes (x); y', protocol: 'ESMTP' },
  });
  assert.doesNotMatch(line, /\r\nX-Injected/);
  assert.match(unfold(line), /^Received: from evil__X-Injected:_yes__x___y \(unknown \[192\.0\.2\.10\]\) by /);
  assert.equal(unfold(line).split(';').length, 2);
});

test('folds a long field at spaces with CRLF + TAB, lines of at most 78 characters', async () => {
  const line = await received({
    client: {
      ip: '2001:db8:1234:5678:9abc:def0:1234:5678',
      rdns: 'a-rather-long-reverse-name.customers.example.net',
      helo: 'a-rather-long-helo-name.example.net',
      protocol: 'UTF8SMTPS',
      tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
    },
  });
  const lines = line.split('\r\n');
  assert.ok(lines.length > 1);
  for (const l of lines) assert.ok(l.length <= 78, `${l.length}: ${l}`);
  for (const l of lines.slice(1)) assert.match(l, /^\t\S/);
  assert.equal(
    unfold(line),
    receivedHeader(
      message({
        client: {
          ip: '2001:db8:1234:5678:9abc:def0:1234:5678',
          rdns: 'a-rather-long-reverse-name.customers.example.net',
          helo: 'a-rather-long-helo-name.example.net',
          protocol: 'UTF8SMTPS',
          tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
        },
      }),
      'mx.example.com',
      NOW,
    ).replace(/\r\n\t/g, ' '),
  );
});

test('parses back with mailparser, the date after ";" with new Date()', async () => {
  const effect = await addReceivedHeader.apply(context(HEADERS));
  const parsed = await simpleParser(assemble(effect, HEADERS));
  const value = String(parsed.headers.get('received'));
  assert.match(value, /^from client\.example\.org \(client\.example\.org \[192\.0\.2\.10\]\)/);
  assert.equal(new Date(value.slice(value.lastIndexOf(';') + 1).trim()).getTime(), NOW.getTime());
  assert.equal(parsed.subject, 'hi');
});

test('is added even when the message already has Received fields', async () => {
  const effect = await addReceivedHeader.apply(context(`Received: from elsewhere\r\n${HEADERS}`));
  assert.equal(effect.prependHeaders?.length, 1);
});
