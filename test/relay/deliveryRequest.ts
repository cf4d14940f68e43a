/**
 * Test helper: a DeliveryRequest over a fixed RFC 5322 text, as the queue would hand it
 * to a relay. The text is written with LF and converted for 'crlf'; content arrives in
 * small chunks so a relay's copy loop runs more than once. `failAfter` makes the stream
 * error after that many bytes, to exercise a relay's read-error path.
 */
import { Readable } from 'node:stream';
import type { QueuedMessage } from '../../src/mail/envelope.js';
import type { DeliveryRequest } from '../../src/relay/relay.js';

export function queuedMessage(overrides: Partial<QueuedMessage> = {}): QueuedMessage {
  return {
    id: '01HZX3K9QGQ8W6Q2T1V5N7M4PA',
    envelope: { sender: 'alice@example.org', recipients: ['bob@example.com'] },
    receivedAt: '2024-03-05T09:08:07.000Z',
    size: 100,
    ...overrides,
  };
}

export function deliveryRequest(
  text: string,
  recipients: readonly string[],
  opts: { message?: QueuedMessage; failAfter?: number } = {},
): DeliveryRequest {
  const message = opts.message ?? queuedMessage({ envelope: { sender: 'alice@example.org', recipients } });
  return {
    message,
    recipients,
    openContent({ lineEndings }) {
      const body = Buffer.from(lineEndings === 'crlf' ? text.replace(/\r?\n/g, '\r\n') : text, 'utf8');
      const chunks: Buffer[] = [];
      for (let i = 0; i < body.length; i += 7) chunks.push(body.subarray(i, i + 7));
      const failAfter = opts.failAfter;
      if (failAfter === undefined) return Readable.from(chunks);
      return Readable.from(
        (async function* () {
          let sent = 0;
          for (const chunk of chunks) {
            if (sent >= failAfter) throw Object.assign(new Error('spool file vanished'), { code: 'EIO' });
            sent += chunk.length;
            yield chunk;
          }
        })(),
      );
    },
  };
}
