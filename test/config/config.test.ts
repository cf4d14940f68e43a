/**
 * The configuration loader: defaults, durations, listen addresses, path resolution
 * against the config file's directory, JSON input, and the ConfigError raised for bad
 * input, which must name the file, the dotted key (or YAML line) and what was expected.
 * Files are written to a fresh temporary directory, removed in `after`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/errors/index.js';
import { defaultConfig, loadConfig, parseConfig, parseDuration, parseListenAddress } from '../../src/config/index.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailtrail-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Asserts that parsing `text` as `file` fails with a ConfigError on `key` whose message matches. */
function assertConfigError(
  text: string,
  key: string,
  expected: RegExp,
  file = '/etc/mailtrail/mailtrail.yaml',
): ConfigError {
  let caught: unknown;
  try {
    parseConfig(text, file);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.code, 'ERR_CONFIG');
  assert.equal(caught.file, file);
  assert.equal(caught.key, key);
  assert.ok(caught.message.startsWith(`${file}: ${key}: `), caught.message);
  assert.match(caught.message, expected);
  return caught;
}

describe('defaults', () => {
  it('runs unprivileged from the working directory with no file', async () => {
    const config = await loadConfig();
    assert.deepEqual(config, defaultConfig());
    assert.equal(config.file, undefined);
    assert.equal(config.hostname, hostname());
    assert.equal(config.node, hostname());
    assert.equal(config.dataDir, resolve('var'));
    assert.deepEqual(config.eventLog, { type: 'sqlite', path: resolve('var', 'events.sqlite'), writer: 'thread' });
    assert.deepEqual(config.smtp.listen, [{ host: '127.0.0.1', port: 2525 }]);
    assert.deepEqual(config.smtp.domains, ['localhost']);
    assert.equal(config.smtp.mailboxes, undefined);
    assert.equal(config.smtp.maxMessageSize, 25 * 1024 * 1024);
    assert.equal(config.smtp.maxRecipients, 1000);
    assert.equal(config.smtp.maxClients, 100);
    assert.equal(config.smtp.idleTimeout, 5 * 60_000);
    assert.equal(config.smtp.hardErrorLimit, 20);
    assert.equal(config.smtp.tls, undefined);
    assert.deepEqual(config.relay, { type: 'maildir', root: resolve('var', 'mail') });
    assert.deepEqual(config.routes, {});
    assert.deepEqual(
      config.policies.map((p) => p.name),
      ['addDateHeader', 'addMessageIdHeader', 'addReceivedHeader'],
    );
    assert.deepEqual(config.queue, {
      retry: { minBackoff: 300_000, maxBackoff: 3_600_000, maxLifetime: 5 * 86_400_000 },
      concurrency: 20,
      bodyRetention: 7 * 86_400_000,
      sessionRetention: 30 * 86_400_000,
      claimLease: 3 * 60_000,
    });
    assert.equal(config.user, undefined);
    assert.equal(config.pidfile, undefined);
    assert.deepEqual(config.log, { level: 'info', pretty: false });
  });

  it('treats an empty file as all defaults', () => {
    const config = parseConfig('# nothing here\n', '/etc/mailtrail/mailtrail.yaml');
    assert.equal(config.file, '/etc/mailtrail/mailtrail.yaml');
    assert.equal(config.dataDir, '/etc/mailtrail/var');
    assert.equal(config.smtp.maxClients, 100);
  });
});

describe('durations', () => {
  const forms: [string | number, number][] = [
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['5d', 432_000_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    [1500, 1500],
    ['1500', 1500],
    [0, 0],
  ];
  for (const [written, ms] of forms) {
    it(`reads ${JSON.stringify(written)} as ${ms} ms`, () => {
      assert.equal(parseDuration(written), ms);
      const config = parseConfig(`smtp:\n  idleTimeout: ${JSON.stringify(written)}\n`);
      assert.equal(config.smtp.idleTimeout, ms);
    });
  }

  it('rejects what is not a duration', () => {
    for (const bad of ['5 minutes', 'five', '-5s', '5w', '', 'm', '5m5', -1, 1.5, true, null]) {
      assert.equal(parseDuration(bad), undefined, `accepted ${String(bad)}`);
    }
  });
});

describe('listen addresses', () => {
  it('reads host:port, [ipv6]:port and bare ports', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:25'), { host: '127.0.0.1', port: 25 });
    assert.deepEqual(parseListenAddress('mx.example.test:2525'), { host: 'mx.example.test', port: 2525 });
    assert.deepEqual(parseListenAddress('[::1]:25'), { host: '::1', port: 25 });
    assert.deepEqual(parseListenAddress('[2001:db8::1]:587'), { host: '2001:db8::1', port: 587 });
    assert.deepEqual(parseListenAddress(2525), { host: '0.0.0.0', port: 2525 });
    assert.deepEqual(parseListenAddress('2525'), { host: '0.0.0.0', port: 2525 });
  });

  it('accepts one address or a list and always yields a list', () => {
    assert.deepEqual(parseConfig('smtp: { listen: "[::1]:25" }').smtp.listen, [{ host: '::1', port: 25 }]);
    assert.deepEqual(parseConfig('smtp: { listen: 0 }').smtp.listen, [{ host: '0.0.0.0', port: 0 }]);
    assert.deepEqual(parseConfig('smtp:\n  listen: [127.0.0.1:25, "[::]:25", 2525]\n').smtp.listen, [
      { host: '127.0.0.1', port: 25 },
      { host: '::', port: 25 },
      { host: '0.0.0.0', port: 2525 },
    ]);
  });

  it('names the list index of a bad address', () => {
    assertConfigError(
      'smtp:\n  listen: [127.0.0.1:25, "::1:25"]\n',
      'smtp.listen[1]',
      /expected "host:port", "\[ipv6\]:port".*brackets.*got "::1:25"/,
    );
    assertConfigError('smtp:\n  listen: 127.0.0.1:99999\n', 'smtp.listen', /expected a port between 0 and 65535/);
    assertConfigError(
      'smtp:\n  listen: "[localhost]:25"\n',
      'smtp.listen',
      /expected an IPv6 address inside the brackets/,
    );
  });
});

describe('paths', () => {
  it('resolves relative paths against the config file directory', async () => {
    const file = join(dir, 'mailtrail.yaml');
    await writeFile(
      file,
      [
        'dataDir: data',
        'smtp:',
        '  tls: { key: tls/key.pem, cert: /etc/ssl/cert.pem }',
        'routes:',
        '  Example.Test: { type: maildir, root: ../vmail }',
        '  pipe.test: { type: pipe, command: [./bin/deliver, -q] }',
        '  drop.test: { type: maildrop }',
        'pidfile: run/mailtrail.pid',
        '',
      ].join('\n'),
    );
    const config = await loadConfig(file);
    assert.equal(config.file, file);
    assert.equal(config.dataDir, join(dir, 'data'));
    assert.deepEqual(config.eventLog, { type: 'sqlite', path: join(dir, 'data', 'events.sqlite'), writer: 'thread' });
    assert.deepEqual(config.relay, { type: 'maildir', root: join(dir, 'data', 'mail') });
    assert.deepEqual(config.smtp.tls, { key: join(dir, 'tls', 'key.pem'), cert: '/etc/ssl/cert.pem', implicit: false });
    assert.deepEqual(config.routes['example.test'], { type: 'maildir', root: resolve(dir, '..', 'vmail') });
    assert.deepEqual(config.routes['pipe.test'], {
      type: 'pipe',
      command: [join(dir, 'bin', 'deliver'), '-q'],
      timeout: 10_000,
    });
    assert.deepEqual(config.routes['drop.test'], { type: 'maildrop', path: 'maildrop', timeout: 10_000 });
    assert.equal(config.pidfile, join(dir, 'run', 'mailtrail.pid'));
  });

  it('resolves an explicit sqlite path against the file directory, not dataDir', () => {
    const config = parseConfig('dataDir: /srv/mt\neventLog: { type: sqlite, path: log.sqlite }\n', '/etc/mt/m.yaml');
    assert.deepEqual(config.eventLog, { type: 'sqlite', path: '/etc/mt/log.sqlite', writer: 'thread' });
  });

  it('reads outbound as an SMTP relay with MX lookup unless a host is given, and refuses any other type', () => {
    assert.equal(parseConfig('').outbound, undefined);
    assert.deepEqual(parseConfig('outbound: { type: smtp }').outbound, {
      type: 'smtp',
      port: 25,
      mx: true,
      starttls: 'opportunistic',
      timeout: 300_000,
    });
    assert.equal(parseConfig('outbound: { type: smtp, host: smarthost.test }').outbound?.mx, false);
    assertConfigError('outbound: { type: maildir }\n', 'outbound.type', /expected one of: smtp, got "maildir"/);
    assertConfigError('outbound: { type: smtp, mx: false }\n', 'outbound.host', /expected a host when mx is false/);
  });

  it('reports a file that cannot be read', async () => {
    const file = join(dir, 'absent.yaml');
    await assert.rejects(
      loadConfig(file),
      (error: unknown) =>
        error instanceof ConfigError && error.file === file && error.key === '(file)' && /ENOENT/.test(error.message),
    );
  });
});

describe('full file', () => {
  it('reads every section', () => {
    const config = parseConfig(
      `
hostname: mx.example.test
eventLog: { type: kurrentdb, connectionString: "kurrentdb://localhost:2113?tls=false" }
smtp:
  domains: [Example.TEST]
  mailboxes: [Bob@Example.test]
  maxMessageSize: 1048576
  tls: { key: /k.pem, cert: /c.pem, implicit: true }
  auth: { users: { alice: "scrypt:c2FsdA==:a2V5a2V5a2V5a2V5a2V5a2V5" }, methods: [PLAIN] }
relay: { type: smtp }
policies:
  - addReceivedHeader
  - spamassassin: { port: 7830 }
  - forward: [{ pattern: '^bob@', replace: 'alice@' }]
queue: { retry: { minBackoff: 1m, maxBackoff: 1m }, concurrency: 5 }
user: mailtrail
group: 8
log: { level: debug, pretty: true }
`,
      '/etc/m.yaml',
    );
    assert.equal(config.hostname, 'mx.example.test');
    assert.equal(config.node, 'mx.example.test', 'node defaults to hostname');
    assert.deepEqual(config.eventLog, { type: 'kurrentdb', connectionString: 'kurrentdb://localhost:2113?tls=false' });
    assert.deepEqual(config.smtp.domains, ['example.test']);
    assert.deepEqual(config.smtp.mailboxes, ['Bob@example.test']);
    assert.equal(config.smtp.tls?.implicit, true);
    assert.deepEqual(config.smtp.auth, {
      users: { alice: 'scrypt:c2FsdA==:a2V5a2V5a2V5a2V5a2V5a2V5' },
      methods: ['PLAIN'],
      allowInsecure: false,
    });
    assert.deepEqual(config.relay, { type: 'smtp', port: 25, mx: true, starttls: 'opportunistic', timeout: 300_000 });
    assert.deepEqual(config.policies, [
      { name: 'addReceivedHeader', options: {} },
      { name: 'spamassassin', options: { host: '127.0.0.1', port: 7830, timeout: 30_000 } },
      { name: 'forward', options: [{ pattern: '^bob@', replace: 'alice@' }] },
    ]);
    assert.deepEqual(config.queue.retry, { minBackoff: 60_000, maxBackoff: 60_000, maxLifetime: 432_000_000 });
    assert.equal(config.user, 'mailtrail');
    assert.equal(config.group, 8);
    assert.deepEqual(config.log, { level: 'debug', pretty: true });
  });

  it('accepts JSON', () => {
    const config = parseConfig(
      JSON.stringify({
        smtp: { listen: ['127.0.0.1:25', 587], idleTimeout: '30s' },
        relay: { type: 'lmtp', host: '127.0.0.1' },
        queue: { retry: { maxLifetime: 86_400_000 } },
      }),
      '/etc/mailtrail.json',
    );
    assert.deepEqual(config.smtp.listen, [
      { host: '127.0.0.1', port: 25 },
      { host: '0.0.0.0', port: 587 },
    ]);
    assert.equal(config.smtp.idleTimeout, 30_000);
    assert.deepEqual(config.relay, { type: 'lmtp', host: '127.0.0.1', port: 24, timeout: 300_000 });
    assert.equal(config.queue.retry.maxLifetime, 86_400_000);
  });
});

describe('errors name the file, the key and what was expected', () => {
  it('an unknown key, with the keys allowed there', () => {
    assertConfigError('smtp:\n  lisen: 25\n', 'smtp.lisen', /unknown key; expected one of: listen, domains/);
    assertConfigError('hostnme: mx\n', 'hostnme', /unknown key; expected one of: hostname, dataDir/);
    assertConfigError(
      'routes: { example.test: { type: maildir, rot: /x } }\n',
      'routes["example.test"].rot',
      /unknown key; expected one of: type, root/,
    );
  });

  it('a bad duration', () => {
    assertConfigError(
      'queue:\n  retry:\n    minBackoff: 5 minutes\n',
      'queue.retry.minBackoff',
      /expected a duration like 250ms, 30s, 5m, 1h, 5d.*got "5 minutes"/,
    );
    assertConfigError(
      'smtp: { idleTimeout: true }\n',
      'smtp.idleTimeout',
      /expected a duration like .*got boolean true/,
    );
  });

  it('a wrong type', () => {
    assertConfigError('smtp:\n  maxClients: lots\n', 'smtp.maxClients', /expected a number, got "lots"/);
    assertConfigError('smtp: { maxRecipients: 0 }\n', 'smtp.maxRecipients', /expected a number > 0, got number 0/);
    assertConfigError('smtp: { domains: example.test }\n', 'smtp.domains', /expected a list, got "example.test"/);
    assertConfigError(
      'log: { level: loud }\n',
      'log.level',
      /expected one of: fatal, error, warn, info, debug, trace, silent, got "loud"/,
    );
    assertConfigError('node: "mx 1"\n', 'node', /expected a node name: letters, digits/);
    assertConfigError('queue: { claimLease: 0s }\n', 'queue.claimLease', /expected at least 1s/);
    assertConfigError('- hostname: mx\n', '(top level)', /expected a mapping of keys, got a list/);
  });

  it('reads a postgres event log and keeps its connection string as written', () => {
    const config = parseConfig(
      'eventLog: { type: postgres, connectionString: "postgresql://mail@db.example.test/mailtrail" }\n',
      '/etc/m.yaml',
    );
    assert.deepEqual(config.eventLog, {
      type: 'postgres',
      connectionString: 'postgresql://mail@db.example.test/mailtrail',
    });
  });

  it('kurrentdb or postgres without connectionString, and unknown types', () => {
    assertConfigError('eventLog: { type: kurrentdb }\n', 'eventLog.connectionString', /missing; expected a string/);
    assertConfigError('eventLog: { type: postgres }\n', 'eventLog.connectionString', /missing; expected a string/);
    assertConfigError(
      'eventLog: { type: postgres, connectionString: "localhost:5432" }\n',
      'eventLog.connectionString',
      /postgres:\/\/ or postgresql:\/\/ URL/,
    );
    assertConfigError(
      'eventLog: { type: mysql }\n',
      'eventLog.type',
      /expected one of: sqlite, kurrentdb, postgres, got "mysql"/,
    );
    assertConfigError(
      'relay: { root: /x }\n',
      'relay.type',
      /missing; expected one of: maildir, maildrop, dovecotLda, lmtp, smtp, pipe, blackhole/,
    );
    assertConfigError('relay: { type: smtp, mx: false }\n', 'relay.host', /expected a host when mx is false/);
  });

  it('a YAML syntax error, by line and column', () => {
    assertConfigError(
      'smtp:\n  listen: 127.0.0.1:25\n  domains: [example.test\nlog: {}\n',
      'line 4, column 1',
      /YAML syntax error/,
    );
    assertConfigError('log: {}\nlog: {}\n', 'line 2, column 1', /YAML syntax error: Map keys must be unique/);
  });

  it('minBackoff above maxBackoff', () => {
    assertConfigError(
      'queue: { retry: { minBackoff: 2h } }\n',
      'queue.retry.minBackoff',
      /expected at most maxBackoff \(3600000 ms\), got 7200000 ms/,
    );
  });

  it('policies: an unknown name and bad options', () => {
    assertConfigError(
      'policies: [addDateHeader, spamasassin]\n',
      'policies[1]',
      /unknown policy "spamasassin"; .*names: addDateHeader/,
    );
    assertConfigError(
      'policies: [{ spamassassin: { prot: 783 } }]\n',
      'policies[0].spamassassin.prot',
      /unknown key; expected one of: host, port, timeout/,
    );
    assertConfigError('policies: [{ spamassassin: {}, forward: [] }]\n', 'policies[0]', /single-key object/);
  });

  it('a mailbox outside smtp.domains', () => {
    assertConfigError(
      'smtp: { domains: [example.test], mailboxes: [bob@example.org] }\n',
      'smtp.mailboxes[0]',
      /expected an address in one of smtp.domains \(example.test\)/,
    );
  });

  it('lists every problem, not just the first', () => {
    const error = assertConfigError(
      'smtp: { maxClients: x }\nlog: { pretty: 1 }\n',
      'smtp.maxClients',
      /expected a number/,
    );
    assert.match(error.message, /\n {2}also log.pretty: expected true or false, got number 1/);
  });

  it('names the file relative to the working directory as an absolute path', () => {
    assertConfigError('bogus: 1\n', 'bogus', /unknown key/, resolve('mailtrail.yaml'));
    assert.throws(() => parseConfig('bogus: 1\n', 'mailtrail.yaml'), { file: resolve('mailtrail.yaml') });
  });
});
