/**
 * One redaction list (src/logging/redaction.ts) for the log and the inspector: every secret and
 * content field is gone from a real log line (to a file, at several depths; `pass` included),
 * and the inspector's sanitizer replaces exactly the same fields.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';
import { CONTENT_FIELDS, SECRET_FIELDS } from '../../src/logging/redaction.js';
import { createSanitizer, OMITTED, REDACTED } from '../../src/inspect/sanitize.js';
import { waitUntil } from '../support/waitUntil.js';

const nested = (field: string) => ({
  [field]: 'S3CRET',
  relay: { auth: { user: 'mx', [field]: 'S3CRET' } },
  a: { b: { c: { [field]: 'S3CRET' } } },
});

it('removes every listed field from log lines, at any of four depths', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-redact-'));
  try {
    const file = join(dir, 'log');
    const logger = createLogger({ destination: file });
    for (const field of [...SECRET_FIELDS, ...CONTENT_FIELDS])
      logger.info({ field: field.length, ...nested(field) }, `line for ${field.length}`);
    logger.info({ relay: { auth: { user: 'mx', pass: 'S3CRET' } } }, 'the smtp relay config');
    const lines = SECRET_FIELDS.length + CONTENT_FIELDS.length + 1;
    // The destination writes asynchronously: wait for the last line to reach the file.
    const text = await waitUntil(
      () => {
        const t = readFileSync(file, 'utf8');
        return t.trim().split('\n').length === lines && t;
      },
      { what: `${lines} log lines` },
    );
    assert.doesNotMatch(text, /S3CRET/);
    assert.match(text, /"user":"mx"/, 'the fields around them stay');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('is the list the inspector redacts', () => {
  const sanitize = createSanitizer({ addresses: 'show' });
  for (const field of SECRET_FIELDS)
    assert.deepEqual(sanitize({ x: { [field]: 'v' } }), { x: { [field]: REDACTED } }, field);
  for (const field of CONTENT_FIELDS)
    assert.deepEqual(sanitize({ x: { [field]: 'v' } }), { x: { [field]: OMITTED } }, field);
});
