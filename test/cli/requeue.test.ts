/**
 * `mailtrail requeue <id>` (postsuper -r) against the real daemon: a message deferred behind a
 * relay that is down waits an hour for its retry; the operator fixes the relay, adds a Forward
 * policy and restarts; `requeue` sends MessageRequeued through the control socket, the policies
 * run again (the recipient is rewritten) and the message is delivered at once by the new
 * routing. With the daemon stopped the event is appended to the log (the daemon runs the
 * policies when it starts); in `received` or a final state it is refused.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { smtpSend } from '../support/smtpClient.js';
import { startDaemon, writeConfig } from '../support/daemonProcess.js';
import { runCli, waitUntil } from './cliProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-requeue-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const config = (relay: string, policies = '') => `hostname: mx.example.test
dataDir: ${dir}
smtp:
  listen: 127.0.0.1:0
  domains: [example.test]
relay: ${relay}
queue: { retry: { minBackoff: 1h, maxBackoff: 2h, maxLifetime: 5d } }
${policies}log: { level: info }
`;

describe('mailtrail requeue <id>', () => {
  it('runs the policies and routing again and the message is delivered at once', async () => {
    const file = writeConfig(dir, config(`{ type: pipe, command: ['/bin/sh', '-c', 'exit 75'] }`));
    const d = await startDaemon(file);
    const send = async () =>
      /queued as (\S+)/.exec(
        await smtpSend({
          port: d.port,
          from: 'alice@remote.test',
          to: ['bob@example.test'],
          body: 'Subject: requeue me\r\n\r\nhello\r\n',
        }),
      )![1]!;
    const id = await send();
    const live = await send();
    const stateOf = async (m: string) =>
      (
        JSON.parse((await runCli(['queue', '--json', '--config', file])).stdout) as { id: string; state: string }[]
      ).find((x) => x.id === m)?.state;
    await waitUntil(
      async () => (await stateOf(id)) === 'deferred' && (await stateOf(live)) === 'deferred',
      'both messages deferred',
    );
    assert.equal(await stateOf(id), 'deferred');
    assert.equal(await stateOf(live), 'deferred');
    await d.kill('SIGTERM');

    // Offline: appended to the log, and refused a second time (the message is then in `received`).
    const offline = await runCli(['requeue', id, '--config', file]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(
      offline.stdout,
      /requeued .* now received \(appended to the log; the daemon is not running; attempted when the daemon starts\)/,
    );
    const refused = await runCli(['requeue', id, '--config', file]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^mailtrail requeue: message \S+ is already waiting for its policies and routing to run again \(received\); there is nothing to requeue\n$/,
    );

    // The relay is fixed and a Forward policy added: the requeued message's policies run at start.
    writeConfig(
      dir,
      config(
        `{ type: maildir, root: ${join(dir, 'mail')} }`,
        `policies:\n  - forward: [{ pattern: '^bob@', replace: 'carol@' }]\n`,
      ),
    );
    const d2 = await startDaemon(file);
    try {
      const carol = join(dir, 'mail', 'example.test', 'carol', 'new');
      await waitUntil(
        () => existsSync(carol) && readdirSync(carol).length === 1,
        'the requeued message is delivered to the rewritten recipient',
        20_000,
      );
      assert.equal(existsSync(join(dir, 'mail', 'example.test', 'bob')), false);
      const history = JSON.parse((await runCli(['history', id, '--json', '--config', file])).stdout) as {
        entries: { type: string; state: string; data: Record<string, unknown> }[];
      };
      const types = history.entries.map((e) => e.type);
      assert.deepEqual(types.filter((t) => t === 'PoliciesApplied').length, 2, 'the policies ran twice');
      assert.ok(
        history.entries.some((e) => e.type === 'MessageRequeued' && e.state === 'received' && e.data.by === 'cli'),
      );
      assert.equal(history.entries.at(-1)?.state, 'delivered');

      // The other one waits an hour for its retry, until it is requeued through the daemon.
      assert.equal(await stateOf(live), 'deferred');
      const viaDaemon = await runCli(['requeue', live, '--config', file]);
      assert.equal(viaDaemon.code, 0, viaDaemon.stderr);
      assert.match(viaDaemon.stdout, /requeued .* \(via the daemon\)/);
      await waitUntil(
        () => readdirSync(carol).length === 2,
        'the message requeued through the daemon is delivered',
        20_000,
      );

      // Through the daemon: a delivered (final) message is refused.
      const final = await runCli(['requeue', id, '--config', file]);
      assert.equal(final.code, 1);
      assert.match(final.stderr, /message \S+ is already delivered; there is nothing to requeue/);
    } finally {
      await d2.kill('SIGTERM');
    }
  });
});
