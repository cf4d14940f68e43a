/**
 * The mail kernel's addresses, client info and stream names: split at the last '@', domain
 * lower-cased and local part kept as written; a client read back from JSON is checked, not
 * trusted; stream names parse back to their ids.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { domainOf, localPartOf, splitAddress, withLowerCaseDomain } from '../../src/mail/address.js';
import { clientInfoFrom } from '../../src/mail/clientInfo.js';
import { messageIdOf, messageStream, probesStream, sessionStream } from '../../src/mail/streamNames.js';

describe('addresses', () => {
  it('split at the last @, so a quoted local part may hold one', () => {
    assert.deepEqual(splitAddress('"a@b"@Example.TEST'), { local: '"a@b"', domain: 'Example.TEST' });
    assert.equal(domainOf('"a@b"@Example.TEST'), 'example.test');
    assert.equal(localPartOf('Bob@Example.Test'), 'Bob');
  });
  it('without @ an address is all local part and has domain ""', () => {
    assert.deepEqual(splitAddress('postmaster'), { local: 'postmaster', domain: '' });
    assert.equal(domainOf(''), '');
    assert.equal(withLowerCaseDomain('postmaster'), 'postmaster');
  });
  it('withLowerCaseDomain keeps the local part as written', () => {
    assert.equal(withLowerCaseDomain('Bob@Example.TEST'), 'Bob@example.test');
  });
});

describe('client info read back from JSON', () => {
  it('keeps a well-formed client', () => {
    const client = { ip: '192.0.2.7', helo: 'client.test', protocol: 'ESMTPS', tls: { version: 'TLSv1.3' } };
    assert.deepEqual(clientInfoFrom(client), client);
  });
  it('refuses one with an unknown protocol or no address', () => {
    assert.equal(clientInfoFrom({ ip: '192.0.2.7', protocol: 'HTTP' }), undefined);
    assert.equal(clientInfoFrom({ protocol: 'SMTP' }), undefined);
    assert.equal(clientInfoFrom(undefined), undefined);
  });
});

describe('stream names', () => {
  it('parse back to the message id, and only for message streams', () => {
    assert.equal(messageIdOf(messageStream('0MWW3BKVV009038EF4C')), '0MWW3BKVV009038EF4C');
    assert.equal(messageIdOf(sessionStream('0MWW3BKVV009038EF4C')), undefined);
    assert.equal(probesStream('2026-12-02T05:00:00.000Z'), 'probes-2026-12-02');
  });
});
