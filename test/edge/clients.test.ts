/**
 * Clients nobody here wrote: Python's smtplib (plain and STARTTLS, certificate verified)
 * and swaks (Debian package `swaks`). Each message is queued, delivered by the real queue
 * into its Maildir, and a refused recipient gets the exact 550 5.7.1 line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type TestCertificate, makeCertificate } from './certificate.js';
import { type EdgeHarness, startEdge } from './edgeHarness.js';

const run = promisify(execFile);

const PYTHON_CLIENT = `
import json, smtplib, ssl, sys
port, cafile, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = ("From: alice@remote.test\\r\\nTo: bob@example.test\\r\\nSubject: %s\\r\\n\\r\\nHello from smtplib\\r\\n" % subject).encode()
out = {}
with smtplib.SMTP("127.0.0.1", port, local_hostname="py.example.org") as s:
    s.ehlo()
    if cafile:
        s.starttls(context=ssl.create_default_context(cafile=cafile))
        s.ehlo()
    out["features"] = sorted(s.esmtp_features)
    out["mail"] = list(s.mail("alice@remote.test", ["size=%d" % len(body)]))
    out["rcpt"] = [list(s.rcpt(r)) for r in ("bob@example.test", "eve@elsewhere.test")]
    out["data"] = list(s.data(body))
print(json.dumps(out, default=lambda b: b.decode()))
`;

function maildirFiles(e: EdgeHarness, user = 'bob'): string[] {
  const dir = join(e.h.mailRoot, 'example.test', user, 'new');
  try {
    return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
  } catch {
    return [];
  }
}

describe('SMTP edge with real clients', () => {
  let e: EdgeHarness;
  let cert: TestCertificate;
  before(async () => {
    cert = makeCertificate();
    e = await startEdge({ tls: { key: cert.keyPath, cert: cert.certPath } }); // paths, as the daemon's config gives them
  });
  after(async () => {
    await e.close();
    cert.remove();
  });

  for (const tls of [false, true]) {
    it(`python smtplib${tls ? ' with STARTTLS' : ''}: queued, delivered, the foreign recipient refused`, async () => {
      const subject = `from smtplib ${tls ? 'tls' : 'plain'}`;
      const { stdout } = await run('/usr/bin/python3', [
        '-c',
        PYTHON_CLIENT,
        String(e.port),
        tls ? cert.certPath : '',
        subject,
      ]);
      const out = JSON.parse(stdout) as {
        features: string[];
        mail: [number, string];
        rcpt: [number, string][];
        data: [number, string];
      };
      assert.deepEqual(out.features, [
        '8bitmime',
        'enhancedstatuscodes',
        'pipelining',
        'size',
        'smtputf8',
        ...(tls ? [] : ['starttls']),
      ]);
      assert.deepEqual(out.mail, [250, '2.1.0 Accepted']);
      assert.deepEqual(out.rcpt, [
        [250, '2.1.5 Accepted'],
        [550, '5.7.1 <eve@elsewhere.test>: Relay access denied'],
      ]);
      assert.equal(out.data[0], 250);
      const id = /^2\.0\.0 Ok: queued as (\S+)$/.exec(out.data[1])?.[1];
      assert.ok(id, out.data[1]);
      assert.equal(await e.h.waitFor(id, ['delivered']), 'delivered');
      const [received] = await e.events(`message-${id}`);
      assert.equal((received!.data as { client: { protocol: string } }).client.protocol, tls ? 'ESMTPS' : 'ESMTP');
      assert.ok(maildirFiles(e).some((m) => m.includes(`Subject: ${subject}`)));
    });
  }

  it('swaks with STARTTLS: queued and delivered', async () => {
    const { stdout } = await run('swaks', [
      '--server',
      '127.0.0.1',
      '--port',
      String(e.port),
      '--helo',
      'swaks.example.org',
      '--tls',
      '--from',
      'alice@remote.test',
      '--to',
      'bob@example.test',
      '--header',
      'Subject: from swaks',
      '--body',
      'Hello from swaks',
    ]);
    assert.match(stdout, /<- {2}220 2\.0\.0 Ready to start TLS/);
    const id = /<~ {2}250 2\.0\.0 Ok: queued as (\S+)/.exec(stdout)?.[1];
    assert.ok(id, stdout);
    assert.equal(await e.h.waitFor(id, ['delivered']), 'delivered');
    assert.ok(maildirFiles(e).some((m) => m.includes('Subject: from swaks')));
  });

  it('swaks to a foreign domain sees the exact relay refusal', async () => {
    const result = await run('swaks', [
      '--server',
      '127.0.0.1',
      '--port',
      String(e.port),
      '--helo',
      'swaks.example.org',
      '--from',
      'alice@remote.test',
      '--to',
      'eve@elsewhere.test',
    ]).then(
      (r) => r.stdout,
      (err: { stdout: string; code: number }) => {
        assert.notEqual(err.code, 0);
        return err.stdout;
      },
    );
    assert.match(result, /<\*\* 550 5\.7\.1 <eve@elsewhere\.test>: Relay access denied\n/);
  });
});
