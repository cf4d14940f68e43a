/**
 * Test helper: a PolicyContext over a fixed header block, and the message a policy's
 * prepended lines make when put in front of it (CRLF, as on the wire), for mailparser.
 */
import type { QueuedMessage } from '../../src/mail/envelope.js';
import type { PolicyContext, PolicyEffect } from '../../src/policies/policy.js';

export const NOW = new Date('2024-03-05T09:08:07.000Z');

export function message(overrides: Partial<QueuedMessage> = {}): QueuedMessage {
  return {
    id: '01HZX3K9QGQ8W6Q2T1V5N7M4PA',
    envelope: { sender: 'alice@example.org', recipients: ['bob@example.com'] },
    client: { ip: '192.0.2.10', rdns: 'client.example.org', helo: 'client.example.org', protocol: 'ESMTP' },
    receivedAt: '2024-03-05T09:08:06.123Z',
    size: 100,
    ...overrides,
  };
}

export function context(headers: string, overrides: Partial<PolicyContext> = {}): PolicyContext {
  return { message: message(), hostname: 'mx.example.com', now: NOW, readHeaders: async () => headers, ...overrides };
}

/** The prepended lines, then the original headers, a blank line and a body, all CRLF. */
export function assemble(effect: PolicyEffect, headers: string, body = 'Hello.\r\n'): Buffer {
  const prepend = (effect.prependHeaders ?? []).map((line) => `${line}\r\n`).join('');
  const original = headers.replace(/\r?\n/g, '\r\n').replace(/(\r\n)*$/, '\r\n');
  return Buffer.from(`${prepend}${original}\r\n${body}`, 'utf8');
}
