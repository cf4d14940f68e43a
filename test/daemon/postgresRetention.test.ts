/**
 * Retention on a real PostgreSQL log, run by the real daemon at start: once `queue.bodyRetention`
 * has passed since a message became final, its body leaves `mailtrail_bodies` (its history
 * stays); a live (deferred) message, a final one still within the retention and a body no
 * message names all keep theirs; session streams older than `queue.sessionRetention` are
 * deleted, newer ones and message streams are not. "Older" is made by moving the server's
 * `recorded_at` of the first messages' events back 40 days while the daemon is stopped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from '../cli/cliProcess.js';
import { closedPort } from '../support/closedPort.js';
import { baseConfig, startDaemon, writeConfig, type DaemonProcess } from '../support/daemonProcess.js';
import { startPostgres, type PostgresServer } from '../support/postgresServer.js';
import { smtpSend } from '../support/smtpClient.js';
import { waitUntil } from '../support/waitUntil.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-pgret-'));
let server: PostgresServer;
let url: string;
let config: string;
let db: pg.Client;
before(async () => {
  server = await startPostgres();
  url = await server.createDatabase('retention');
  const down = `{ type: smtp, host: 127.0.0.1, port: ${await closedPort()}, mx: false, starttls: never }`;
  config = writeConfig(
    dir,
    baseConfig(
      dir,
      `eventLog: { type: postgres, connectionString: ${JSON.stringify(url)} }\nroutes: { down.test: ${down} }\n`,
    ).replace('domains: [example.test]', 'domains: [example.test, down.test]'),
  );
  db = new pg.Client({ connectionString: url });
  await db.connect();
});
after(async () => {
  await db?.end();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const inbox = join(dir, 'mail', 'example.test', 'bob', 'new');
const delivered = (): number => (existsSync(inbox) ? readdirSync(inbox).length : 0);

async function send(d: DaemonProcess, to: string): Promise<string> {
  const reply = await smtpSend({ port: d.port, from: 'alice@remote.test', to: [to], body: 'Subject: r\r\n\r\nr\r\n' });
  const id = /^250 2\.0\.0 Ok: queued as (\S+)/.exec(reply)?.[1];
  assert.ok(id, reply);
  return id;
}

async function lastState(id: string): Promise<string | undefined> {
  const { rows } = await db.query<{ state: string }>(
    "SELECT metadata->>'state' AS state FROM mailtrail_events WHERE stream = $1 ORDER BY revision DESC LIMIT 1",
    [`message-${id}`],
  );
  return rows[0]?.state;
}

const bodies = async (): Promise<string[]> =>
  (await db.query<{ id: string }>('SELECT id FROM mailtrail_bodies ORDER BY id')).rows.map((r) => r.id);
const sessionStreams = async (): Promise<string[]> =>
  (
    await db.query<{ stream: string }>(
      "SELECT DISTINCT stream FROM mailtrail_events WHERE starts_with(stream, 'session-') ORDER BY stream",
    )
  ).rows.map((r) => r.stream);

describe('retention on the PostgreSQL log', () => {
  it('removes the bodies of messages final before the retention and old session streams, and nothing else', async () => {
    let d = await startDaemon(config);
    let old: { final: string; live: string };
    let recent: string;
    let oldSessions: string[];
    try {
      old = { final: await send(d, 'bob@example.test'), live: await send(d, 'carol@down.test') };
      await waitUntil(async () => (await lastState(old.final)) === 'delivered', { what: 'the first delivered' });
      await waitUntil(async () => (await lastState(old.live)) === 'deferred', { what: 'the second deferred' });
      oldSessions = await sessionStreams();
      assert.equal(oldSessions.length, 2, 'one session stream per SMTP session');
      // Everything so far is moved back 40 days; what follows stays recent.
      await db.query("UPDATE mailtrail_events SET recorded_at = recorded_at - interval '40 days'");
      recent = await send(d, 'bob@example.test');
      await waitUntil(async () => (await lastState(recent)) === 'delivered', { what: 'the third delivered' });
    } finally {
      await d.kill('SIGTERM');
    }
    // A body no message names (a node died between its body and its MessageReceived): kept.
    await db.query(
      "INSERT INTO mailtrail_bodies (id, complete, size, sha256, stored_at) VALUES ('0ORPHAN', true, 0, 'none', now() - interval '40 days')",
    );
    // The deferred message's retries after the move are recent; keep its last event old too.
    await db.query(
      "UPDATE mailtrail_events SET recorded_at = now() - interval '40 days' WHERE stream = $1 AND recorded_at > now() - interval '1 day'",
      [`message-${old.live}`],
    );
    assert.deepEqual(await bodies(), ['0ORPHAN', old.final, old.live, recent].sort());

    d = await startDaemon(config);
    try {
      await waitUntil(() => d.lines.some((l) => l.msg === 'retention: removed old bodies and session streams'), {
        what: 'the retention pass at start',
      });
      const line = d.lines.find((l) => l.msg === 'retention: removed old bodies and session streams')!;
      assert.equal(line.bodies, 1);
      assert.equal(line.streams, 2);
      assert.deepEqual(await bodies(), ['0ORPHAN', old.live, recent].sort(), 'only the old final body is gone');
      const sessions = await sessionStreams();
      for (const s of oldSessions) assert.ok(!sessions.includes(s), `${s} deleted`);
      assert.equal(sessions.length, 1, "the third message's session stream stays");
      // The shared log's search finds that session's message (the folded view, no index on PostgreSQL).
      const bySession = await runCli([
        ...['search', '--session', sessions[0]!.slice('session-'.length), '--json'],
        ...['--config', config],
      ]);
      assert.equal(bySession.code, 0, bySession.stderr);
      assert.deepEqual(
        (JSON.parse(bySession.stdout) as { id: string }[]).map((m) => m.id),
        [recent],
      );
      // The history of the message whose body went stays whole.
      const history = await runCli(['history', old.final, '--json', '--config', config]);
      assert.equal(history.code, 0, history.stderr);
      const entries = (JSON.parse(history.stdout) as { entries: { type: string; state: string }[] }).entries;
      assert.equal(entries[0]?.type, 'MessageReceived');
      assert.equal(entries.at(-1)?.state, 'delivered');
      assert.equal(delivered(), 2);
    } finally {
      await d.kill('SIGTERM');
    }
  });
});
