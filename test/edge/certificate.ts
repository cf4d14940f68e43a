/**
 * A throw-away TLS certificate for mx.example.test, made with `openssl req` (Debian's
 * openssl) in a temporary directory: key, cert and the paths, for node:tls, smtplib and swaks.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly keyPath: string;
  readonly certPath: string;
  remove(): void;
}

export function makeCertificate(hostname = 'mx.example.test'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${hostname}`,
      '-addext',
      `subjectAltName=DNS:${hostname},IP:127.0.0.1`,
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(keyPath),
    cert: readFileSync(certPath),
    keyPath,
    certPath,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
