/**
 * Test helper run as a child process: delivers one message of `bytes` body bytes to
 * bob@example.com under the Maildir root given as argv[2], prints the results as JSON.
 * The parent runs it under `ulimit -f` so the write fails with a real EFBIG.
 */
import { MaildirRelay } from '../../src/relay/maildirRelay.js';
import { deliveryRequest } from './deliveryRequest.js';

const [root, bytes] = process.argv.slice(2);
const relay = new MaildirRelay({ root: root!, hostname: 'mx' });
const text = `Subject: big\n\n${'y'.repeat(Number(bytes))}\n`;
const results = await relay.deliver(deliveryRequest(text, ['bob@example.com']));
process.stdout.write(JSON.stringify(results));
