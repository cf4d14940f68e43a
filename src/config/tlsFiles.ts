/**
 * checkTlsFiles: the certificate and key `smtp.tls` names must be readable PEM and belong
 * together before the daemon starts; otherwise the start failed with OpenSSL's own words
 * ("PEM routines::no start line", "key values mismatch") or a bare ENOENT, naming neither the
 * key nor the file. A problem is a ConfigError naming `smtp.tls.cert` or `smtp.tls.key` and
 * the configuration file, so `mailtrail run` exits 78 (EX_CONFIG). Reads the two files only,
 * as the user that starts the daemon (they are read before the privilege drop).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../errors/mailtrailError.js';
import type { Config } from './config.js';

function read(key: string, path: string, file: string | undefined): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'a directory, not a file'
            : (err as Error).message;
    throw new ConfigError(key, `${path}: cannot be read: ${why}`, file);
  }
}

/** Throws a ConfigError when smtp.tls's certificate or key cannot be used. */
export function checkTlsFiles(config: Config): void {
  const tls = config.smtp.tls;
  if (!tls) return;
  const cert = read('smtp.tls.cert', tls.cert, config.file);
  const key = read('smtp.tls.key', tls.key, config.file);
  try {
    new X509Certificate(cert);
  } catch {
    throw new ConfigError('smtp.tls.cert', `${tls.cert}: not a PEM certificate`, config.file);
  }
  try {
    createPrivateKey(key);
  } catch {
    throw new ConfigError('smtp.tls.key', `${tls.key}: not a PEM private key (without a passphrase)`, config.file);
  }
  try {
    createSecureContext({ cert, key });
  } catch {
    throw new ConfigError('smtp.tls.key', `${tls.key}: does not match the certificate ${tls.cert}`, config.file);
  }
}
