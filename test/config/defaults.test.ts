/**
 * Defaults in one place: the configuration's defaults are the components' own (SmtpEdge,
 * the queue's retry policy and concurrency, each relay, spamd), read from the DEFAULTS
 * constants they export, and the schema files hold no second literal copy of them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { SMTP_EDGE_DEFAULTS } from '../../src/edge/edgeDefaults.js';
import { SPAMD_DEFAULTS } from '../../src/policies/spamdClient.js';
import { QUEUE_DEFAULTS } from '../../src/queue/queueDefaults.js';
import { DEFAULT_INLINE_THRESHOLD } from '../../src/spool/inlineBodies.js';
import {
  DOVECOT_LDA_DEFAULTS,
  LMTP_DEFAULTS,
  MAILDROP_DEFAULTS,
  PIPE_DEFAULTS,
  SMTP_RELAY_DEFAULTS,
} from '../../src/relay/relayDefaults.js';

const configDir = join(import.meta.dirname, '..', '..', 'src', 'config');

describe('configuration defaults', () => {
  it('are the SMTP edge’s, the queue’s and the retry policy’s', () => {
    const config = parseConfig('');
    for (const [key, value] of Object.entries(SMTP_EDGE_DEFAULTS)) {
      if (key in config.smtp)
        assert.equal((config.smtp as unknown as Record<string, unknown>)[key], value, `smtp.${key}`);
    }
    assert.equal(config.queue.concurrency, QUEUE_DEFAULTS.concurrency);
    assert.equal(config.queue.claimLease, QUEUE_DEFAULTS.claimLease);
    assert.deepEqual({ ...config.queue.retry }, { ...QUEUE_DEFAULTS.retry });
    assert.equal(config.spool.inlineThreshold, DEFAULT_INLINE_THRESHOLD);
  });

  it('are each relay’s and spamd’s', () => {
    const relay = (yaml: string) => parseConfig(`relay: ${yaml}\n`).relay as unknown as Record<string, unknown>;
    assert.deepEqual(
      [relay('{ type: maildrop }').path, relay('{ type: maildrop }').timeout],
      [MAILDROP_DEFAULTS.path, MAILDROP_DEFAULTS.timeout],
    );
    assert.deepEqual(
      [relay('{ type: dovecotLda }').path, relay('{ type: dovecotLda }').timeout],
      [DOVECOT_LDA_DEFAULTS.path, DOVECOT_LDA_DEFAULTS.timeout],
    );
    assert.deepEqual(
      [relay('{ type: lmtp, host: h }').port, relay('{ type: lmtp, host: h }').timeout],
      [LMTP_DEFAULTS.port, LMTP_DEFAULTS.timeout],
    );
    const smtp = relay('{ type: smtp, host: h }');
    assert.deepEqual(
      [smtp.port, smtp.timeout, smtp.starttls],
      [SMTP_RELAY_DEFAULTS.port, SMTP_RELAY_DEFAULTS.timeout, SMTP_RELAY_DEFAULTS.starttls],
    );
    assert.equal(relay('{ type: pipe, command: [cat] }').timeout, PIPE_DEFAULTS.timeout);
    const spamd = parseConfig('policies: [{ spamassassin: {} }]\n').policies.find(
      (p) => p.name === 'spamassassin',
    ) as unknown as { options: Record<string, unknown> };
    assert.deepEqual(
      [spamd.options.host, spamd.options.port, spamd.options.timeout],
      [SPAMD_DEFAULTS.host, SPAMD_DEFAULTS.port, SPAMD_DEFAULTS.timeout],
    );
  });

  it('are never written as a number in the schema files', () => {
    const copies: string[] = [];
    for (const file of ['configSchema.ts', 'relaySchema.ts', 'policySchema.ts', 'smtpAuthSchema.ts']) {
      const text = readFileSync(join(configDir, file), 'utf8');
      for (const m of text.matchAll(/\.default\((\d[\d_ *]*)\)/g)) copies.push(`${file}: .default(${m[1]})`);
    }
    // Retention and the listen address are the daemon's own settings, defined nowhere else.
    const own = ['configSchema.ts: .default(7 * 86_400_000)', 'configSchema.ts: .default(30 * 86_400_000)'];
    assert.deepEqual(
      copies.filter((c) => !own.includes(c)),
      [],
    );
  });
});
