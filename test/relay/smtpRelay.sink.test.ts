/**
 * The SMTP relay against postfix's smtp-sink on loopback (postfix's smtp-sink, installed by .ci/run): delivery as the sink's dump file shows it (EHLO name, MAIL FROM:<>, RCPT
 * lines, content), and the outcomes of the sink's scripted failures: -f (hard reject),
 * -r (soft reject), -Q (421 and hang up), -q (hang up silently), -w (slow DATA reply),
 * each on RCPT, MAIL, the end of DATA or the greeting (CONNECT).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpRelay } from '../../src/relay/smtpRelay.js';
import { deliveryRequest, queuedMessage } from './deliveryRequest.js';
import { freePort, startSmtpSink } from './realServers.js';

const MESSAGE = 'From: alice@example.org\nTo: bob@example.test\nSubject: to the sink\n\nHello sink\n.dot line\n';
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** A sink with `options`, and a relay pointed at it with a short timeout. */
async function sinkAndRelay(options: string[], timeout = 5000) {
  const port = await freePort();
  const sink = await startSmtpSink('127.0.0.1', port, options);
  const relay = new SmtpRelay({ host: '127.0.0.1', port, helo: 'relay.test', starttls: 'never', timeout });
  cleanup.push(
    () => sink.stop(),
    () => relay.close(),
  );
  return { sink, relay };
}

test('delivers to smtp-sink: EHLO name, MAIL FROM:<>, one RCPT per recipient, the content', async () => {
  const { sink, relay } = await sinkAndRelay([]);
  const message = queuedMessage({ envelope: { sender: '', recipients: ['bob@example.test', 'carol@example.test'] } });
  const results = await relay.deliver(
    deliveryRequest(MESSAGE, ['bob@example.test', 'carol@example.test'], { message }),
  );
  assert.deepEqual(
    results.map((r) => [r.recipient, r.outcome, r.status]),
    [
      ['bob@example.test', 'delivered', '2.0.0'],
      ['carol@example.test', 'delivered', '2.0.0'],
    ],
  );
  assert.equal(results[0]!.reply, '250 2.0.0 Ok');
  const dumps = await sink.dumps();
  assert.equal(dumps.length, 1);
  const dump = dumps[0]!;
  assert.match(dump, /^X-Client-Proto: ESMTP$/m);
  assert.match(dump, /^X-Helo-Args: relay\.test$/m);
  assert.match(dump, /^X-Mail-Args: <>$/m);
  assert.deepEqual(dump.match(/^X-Rcpt-Args: .*$/gm), [
    'X-Rcpt-Args: <bob@example.test>',
    'X-Rcpt-Args: <carol@example.test>',
  ]);
  // After the sink's own Received: header (three lines): our content, unstuffed, then an empty line.
  const content = dump.split(/^Received: .*\n\t.*\n\t.*\n/m)[1];
  assert.equal(content, `${MESSAGE}\n`);
});

test("a hard RCPT reject (-f RCPT) fails each recipient with the sink's 5.1.1", async () => {
  const { sink, relay } = await sinkAndRelay(['-f', 'RCPT', '-B', '550 5.1.1 unknown user']);
  const results = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.test', 'carol@example.test']));
  assert.deepEqual(
    results.map((r) => [r.outcome, r.status, r.reply]),
    [
      ['permanent', '5.1.1', '550 5.1.1 unknown user'],
      ['permanent', '5.1.1', '550 5.1.1 unknown user'],
    ],
  );
  // The sink opens its dump file at MAIL; nothing was written into it.
  assert.ok((await sink.dumps()).every((dump) => !dump.includes('Subject:')));
});

test("a soft RCPT reject (-r RCPT) defers with the sink's default 450 4.3.0", async () => {
  const { relay } = await sinkAndRelay(['-r', 'RCPT']);
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.test']));
  assert.deepEqual(
    [result!.outcome, result!.status, result!.reply],
    ['transient', '4.3.0', '450 4.3.0 Error: command failed'],
  );
});

test('a rejected end of DATA (-f .) fails the accepted recipients with 5.3.0', async () => {
  const { relay } = await sinkAndRelay(['-f', '.']);
  const results = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.test', 'carol@example.test']));
  assert.deepEqual(
    results.map((r) => [r.outcome, r.status]),
    [
      ['permanent', '5.3.0'],
      ['permanent', '5.3.0'],
    ],
  );
  assert.match(results[0]!.reply, /500 5\.3\.0 Error: command failed/);
});

test('a 421 and hang-up at MAIL (-Q MAIL) defers every recipient', async () => {
  const { relay } = await sinkAndRelay(['-Q', 'MAIL']);
  const results = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.test', 'carol@example.test']));
  for (const r of results) assert.equal(r.outcome, 'transient', r.reply);
  assert.match(results[0]!.reply, /421/);
});

test('a silent hang-up after RCPT (-q RCPT) defers with 4.4.1', async () => {
  const { relay } = await sinkAndRelay(['-q', 'RCPT']);
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.test']));
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.4.1']);
});

test('a DATA reply slower than the timeout (-w 3) defers with 4.4.2', async () => {
  const { relay } = await sinkAndRelay(['-w', '3'], 500);
  const [result] = await relay.deliver(deliveryRequest(MESSAGE, ['bob@example.test']));
  assert.deepEqual([result!.outcome, result!.status], ['transient', '4.4.2']);
});

test("a refused greeting fails with the greeting's status: -f CONNECT permanent, -r CONNECT transient", async () => {
  const { relay: hard } = await sinkAndRelay(['-f', 'CONNECT', '-B', '554 5.7.1 go away']);
  const [bounced] = await hard.deliver(deliveryRequest(MESSAGE, ['bob@example.test']));
  assert.deepEqual([bounced!.outcome, bounced!.status], ['permanent', '5.7.1'], bounced!.reply);
  assert.match(bounced!.reply, /554 5\.7\.1 go away/);
  const { relay: soft } = await sinkAndRelay(['-r', 'CONNECT']);
  const [deferred] = await soft.deliver(deliveryRequest(MESSAGE, ['bob@example.test']));
  assert.deepEqual([deferred!.outcome, deferred!.status], ['transient', '4.3.0'], deferred!.reply);
});
