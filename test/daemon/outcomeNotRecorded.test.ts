/**
 * Postfix's rule in the real daemon (`mailtrail run` on a PostgreSQL event log): the log goes
 * away while a delivery is under way, so its outcome cannot be recorded (DeliverySucceeded, or
 * DeliveryDeferred when the relay was still reading the body, which lives in PostgreSQL too).
 * The daemon keeps it,
 * tries again for about 20 s, then stops with ERR_OUTCOME_NOT_RECORDED and exit 75 instead of
 * leaving the message wedged. With the log back, the next start takes the message up again and
 * delivers it: nothing is lost (at least once; the unrecorded delivery may be there too).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/cliProcess.js';
import { baseConfig, startDaemon, writeConfig } from '../support/daemonProcess.js';
import { startPostgres, type PostgresServer } from '../support/postgresServer.js';
import { smtpSend } from '../support/smtpClient.js';
import { waitUntil } from '../support/waitUntil.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-lost-'));
const started = join(dir, 'relay-started');
const go = join(dir, 'relay-go');
const out = join(dir, 'delivered');
let server: PostgresServer;
let config: string;

before(async () => {
  server = await startPostgres();
  const url = await server.createDatabase('outcomes');
  // A pipe relay that says when it runs and waits for the test before it delivers (appends to `out`).
  const script = `touch ${started}; while [ ! -e ${go} ]; do sleep 0.05; done; cat >> ${out}`;
  config = writeConfig(
    dir,
    baseConfig(dir, `eventLog: { type: postgres, connectionString: ${JSON.stringify(url)} }\n`).replace(
      /^relay: .*$/m,
      `relay: { type: pipe, command: [sh, -c, ${JSON.stringify(script)}], timeout: 60s }`,
    ),
  );
});

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the daemon when the log refuses an outcome', () => {
  it('stops with exit 75 rather than lose track, and the next start delivers the message', async () => {
    const d = await startDaemon(config);
    const reply = await smtpSend({
      port: d.port,
      from: 'alice@remote.test',
      to: ['bob@example.test'],
      body: 'Subject: kept\r\nX-Token: kept\r\n\r\nkept\r\n',
    });
    const id = /queued as (\S+)/.exec(reply)?.[1];
    assert.ok(id, reply);
    await waitUntil(() => existsSync(started), { what: 'the relay to run' });
    await server.kill();
    writeFileSync(go, '');
    const code = await d.exited;
    assert.equal(code, 75);
    const fatal = d.lines.find((l) =>
      /could not record Delivery(Succeeded|Deferred) after 5 tries/.test(String(l.msg)),
    );
    assert.ok(
      fatal,
      `the daemon logged why it stopped: ${d.lines
        .filter((l) => Number(l.level) >= 50)
        .map((l) => String(l.msg))
        .join(' / ')}`,
    );
    assert.match(String(fatal.msg), new RegExp(`message ${id}: `));

    await server.restart();
    const again = await startDaemon(config);
    try {
      await waitUntil(
        async () => {
          const q = await runCli(['queue', '--all', '--json', '--config', config]);
          return (
            q.code === 0 &&
            (JSON.parse(q.stdout) as { id: string; state: string }[]).some(
              (m) => m.id === id && m.state === 'delivered',
            )
          );
        },
        { what: `message ${id} delivered after the restart`, timeoutMs: 30_000 },
      );
      const copies = readFileSync(out, 'utf8').split('X-Token: kept').length - 1;
      assert.ok(copies >= 1, 'delivered at least once');
    } finally {
      await again.kill('SIGTERM');
    }
  });
});
