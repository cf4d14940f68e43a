/**
 * The inspecting and operator commands as an admin runs them, against a data directory a real
 * queue produced and then stopped (no daemon): `queue` (text and JSON), `show` (summary, --raw,
 * body gone), `history`, and `delete`/`hold`/`release`/`retry` appended to the log directly,
 * validated by the message machine (a final message is refused).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { runCli, writeCliConfig } from './cliProcess.js';

const multipart = Buffer.from(
  [
    'From: Alice <alice@remote.test>',
    'To: Bob <bob@example.test>',
    'Subject: Quarterly report',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Numbers attached.',
    '--b1',
    'Content-Type: application/pdf; name="q3.pdf"',
    'Content-Disposition: attachment; filename="q3.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.alloc(300, 7).toString('base64'),
    '--b1--',
    '',
  ].join('\r\n'),
);

describe('mailtrail queue, show, history, delete without a daemon', () => {
  let h: Harness;
  let config: string;
  let deferred: string;
  let deferred2: string;
  let delivered: string;
  let gone: string;
  const cli = (...args: string[]) => runCli([...args, '--config', config]);

  before(async () => {
    h = await makeHarness({
      queue: { retry: { minBackoff: 3_600_000, maxBackoff: 3_600_000, maxLifetime: 86_400_000 } },
    });
    const enqueue = (recipients: string[], body: Buffer) =>
      h.queue.enqueue({ envelope: { sender: 'alice@remote.test', recipients }, body: [body] });
    deferred = await enqueue(['carol@remote.test'], sampleBody('stuck'));
    deferred2 = await enqueue(['dave@remote.test'], sampleBody('also stuck'));
    delivered = await enqueue(['bob@example.test'], multipart);
    gone = await enqueue(['bob@example.test'], sampleBody('gone'));
    for (const id of [deferred, deferred2]) await h.waitFor(id, ['deferred']);
    for (const id of [delivered, gone]) await h.waitFor(id, ['delivered']);
    await h.queue.stop(1000); // the daemon is not running from here on
    await h.log.close();
    config = writeCliConfig(h.dir);
  });
  after(async () => {
    await h.close();
  });

  it('queue lists the deferred message with its recipient and reason, not the delivered one', async () => {
    const r = await cli('queue');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^${deferred}\\s+deferred\\s+\\d+ bytes\\s+age \\d+s\\s+attempts 1\\s+next in `, 'm'),
    );
    assert.match(r.stdout, /^ {2}from <alice@remote\.test>$/m);
    assert.match(r.stdout, /^ {2}to {3}<carol@remote\.test> {2}pending/m);
    assert.match(r.stdout, /reason: no outbound relay configured for remote\.test/);
    assert.doesNotMatch(r.stdout, new RegExp(delivered));
    assert.match(r.stdout, /^-- 2 messages, \d+ bytes \(2 deferred\)$/m);
  });

  it('queue --json parses, and --all adds the final messages', async () => {
    const r = await cli('queue', '--json');
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as {
      id: string;
      state: string;
      attempts: number;
      lastReason: string;
      recipients: { address: string; status: string }[];
    }[];
    const m = list.find((x) => x.id === deferred);
    assert.ok(m);
    assert.equal(m.state, 'deferred');
    assert.equal(m.attempts, 1);
    assert.deepEqual(
      m.recipients.map((x) => [x.address, x.status]),
      [['carol@remote.test', 'pending']],
    );
    assert.match(m.lastReason, /no outbound relay/);
    const all = JSON.parse((await cli('queue', '--json', '--all')).stdout) as { id: string; state: string }[];
    assert.equal(all.find((x) => x.id === delivered)?.state, 'delivered');
    assert.equal(all.length, 4);
  });

  it('show prints the headers with the policy-added ones and a parsed summary with the attachment', async () => {
    const r = await cli('show', delivered);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^message ${delivered} \\(delivered, \\d+ bytes, received `));
    assert.match(r.stdout, /^Received: by mx\.example\.test \(mailtrail\) id /m);
    assert.match(r.stdout, /^Subject: Quarterly report$/m);
    assert.match(r.stdout, /^ {2}subject:\s+Quarterly report$/m);
    assert.match(r.stdout, /^ {2}from:\s+"?Alice"? <alice@remote\.test>$/m);
    assert.match(r.stdout, /^ {2}message-id:\s+<.+>$/m);
    assert.match(r.stdout, /^ {2}parts:\s+text\/plain, \d+ bytes$/m);
    assert.match(r.stdout, /^ {2}attachments:\s+q3\.pdf application\/pdf, 300 bytes$/m);
    const json = JSON.parse((await cli('show', delivered, '--json')).stdout) as {
      summary: { attachments: { size: number }[] };
    };
    assert.equal(json.summary.attachments[0]?.size, 300);
  });

  it('show --raw prints the stored message with the policy headers on top', async () => {
    const r = await cli('show', deferred, '--raw');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Received: by mx\.example\.test \(mailtrail\) id /);
    assert.match(r.stdout, /\r\nSubject: stuck\r\n\r\nHi Bob,\r\nthis is a test\.\r\n$/);
  });

  it('show says so when the body is gone from the spool, and when there is no such message', async () => {
    unlinkSync(join(h.dir, 'spool', 'bodies', gone));
    const r = await cli('show', gone);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`the body of message ${gone} is no longer in the spool \\(state delivered`));
    const unknown = await cli('show', 'NOSUCHMESSAGE');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no message NOSUCHMESSAGE/);
  });

  it('history prints the timeline', async () => {
    const r = await cli('history', deferred);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /MessageReceived\s+→ received/);
    assert.match(
      r.stdout,
      /DeliveryDeferred\s+→ deferred .*recipient=carol@remote\.test .*reply=no outbound relay configured/,
    );
  });

  it('delete of a delivered message is refused, exit 1', async () => {
    const r = await cli('delete', delivered);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `mailtrail delete: message ${delivered} is already delivered; there is nothing to delete\n`);
  });

  it('hold, a refused release-twice, and retry are recorded in the log and validated by the machine', async () => {
    assert.match(
      (await cli('hold', deferred2)).stdout,
      new RegExp(`message ${deferred2}: held, now held \\(appended to the log; the daemon is not running\\)`),
    );
    assert.equal((await cli('retry', deferred2)).code, 1, 'RetryRequested is not accepted while held');
    assert.match((await cli('release', deferred2)).stdout, /released, now deferred/);
    const again = await cli('release', deferred2);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /^mailtrail release: message \S+ is not held \(it is deferred\); only a held message can be released\n$/,
    );
    assert.match(
      (await cli('retry', '--all')).stdout,
      /retry requested for 2 message\(s\) \(appended to the log; the daemon is not running; attempted when the daemon starts\)/,
    );
  });

  it('delete without a daemon records MessageDeleted by the cli, and queue no longer lists it', async () => {
    const r = await cli('delete', deferred);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`message ${deferred}: deleted, now deleted`));
    const history = JSON.parse((await cli('history', deferred, '--json')).stdout) as {
      entries: { type: string; state: string; data: { by?: string } }[];
    };
    const last = history.entries.at(-1);
    assert.equal(last?.type, 'MessageDeleted');
    assert.equal(last?.state, 'deleted');
    assert.equal(last?.data.by, 'cli');
    const q = await cli('queue');
    assert.doesNotMatch(q.stdout, new RegExp(deferred));
    assert.match(q.stdout, new RegExp(deferred2));
  });

  it('usage errors exit 64', async () => {
    assert.equal((await cli('delete')).code, 64);
    assert.equal((await cli('retry', 'X', '--all')).code, 64);
    assert.equal((await cli('hold', 'X', '--to-domain', 'example.test')).code, 64);
  });
});
