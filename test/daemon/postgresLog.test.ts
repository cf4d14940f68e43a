/**
 * The real daemon on a real PostgreSQL event log (`eventLog: { type: postgres }`): mail sent
 * over SMTP lands in the Maildir, `mailtrail queue` and `mailtrail history` read the shared
 * log, a restarted daemon recovers from it (start-up scans the message streams), and while
 * PostgreSQL is down the daemon answers DATA with 451 4.3.0 — never 250 without a durable
 * record — and accepts again once it is back; a daemon SIGKILLed mid-load loses no
 * acknowledged message (duplicates are counted and printed).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/cliProcess.js';
import { baseConfig, startDaemon, writeConfig, type DaemonProcess } from '../support/daemonProcess.js';
import { startPostgres, type PostgresServer } from '../support/postgresServer.js';
import { smtpSend } from '../support/smtpClient.js';
import { waitUntil } from '../support/waitUntil.js';

const dir = mkdtempSync(join(tmpdir(), 'mailtrail-pgd-'));
let server: PostgresServer;
let config: string;
before(async () => {
  server = await startPostgres();
  const url = await server.createDatabase('daemon');
  config = writeConfig(
    dir,
    baseConfig(dir, `eventLog: { type: postgres, connectionString: ${JSON.stringify(url)} }\n`),
  );
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inbox = join(dir, 'mail', 'example.test', 'bob', 'new');
const delivered = (): string[] =>
  existsSync(inbox) ? readdirSync(inbox).map((f) => readFileSync(join(inbox, f), 'utf8')) : [];

async function waitFor(check: () => boolean, what: string): Promise<void> {
  await waitUntil(check, { what, timeoutMs: 15_000 });
}

const send = (d: DaemonProcess, token: string) =>
  smtpSend({
    port: d.port,
    from: 'alice@remote.test',
    to: ['bob@example.test'],
    body: `Subject: ${token}\r\nX-Token: ${token}\r\n\r\n${token}\r\n`,
  });

describe('daemon on a PostgreSQL event log', () => {
  it('delivers mail, shows it in queue and history, recovers after a restart, and answers 451 while the log is down', async () => {
    let d = await startDaemon(config);
    const ids: string[] = [];
    try {
      for (let n = 0; n < 3; n++) {
        const reply = await send(d, `pg-${n}`);
        assert.match(reply, /^250 2\.0\.0 Ok: queued as (\S+)/);
        ids.push(/queued as (\S+)/.exec(reply)![1]!);
      }
      await waitFor(() => delivered().length === 3, 'three messages are in the Maildir');
      assert.deepEqual(
        delivered()
          .map((m) => /X-Token: (\S+)/.exec(m)![1])
          .sort(),
        ['pg-0', 'pg-1', 'pg-2'],
      );

      const queue = await runCli(['queue', '--all', '--json', '--config', config]);
      assert.equal(queue.code, 0, queue.stderr);
      const listed = JSON.parse(queue.stdout) as { id: string; state: string }[];
      assert.deepEqual(listed.map((m) => m.id).sort(), [...ids].sort());
      for (const m of listed) assert.equal(m.state, 'delivered');
      const live = await runCli(['queue', '--config', config]);
      assert.equal(live.code, 0, live.stderr);
      assert.match(live.stdout, /Mail queue is empty/);

      const history = await runCli(['history', ids[0]!, '--json', '--config', config]);
      assert.equal(history.code, 0, history.stderr);
      const entries = (JSON.parse(history.stdout) as { entries: { type: string; node?: string }[] }).entries;
      const types = entries.map((e) => e.type);
      // Every event names the node that wrote it (config `node`, default the hostname).
      assert.deepEqual([...new Set(entries.map((e) => e.node))], ['mx.example.test']);
      const text = await runCli(['history', ids[0]!, '--config', config]);
      assert.match(text.stdout, /MessageReceived .*node=mx\.example\.test/);
      // The body is in PostgreSQL: show reads it from there.
      const shown = await runCli(['show', ids[0]!, '--body', '--config', config]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(shown.stdout, 'pg-0\r\n');
      assert.equal(types[0], 'MessageReceived');
      assert.ok(types.includes('DeliverySucceeded'), types.join(' '));

      // One daemon per node name: a second one of the same name (the hostname), on its own dataDir, exits 75.
      const otherDir = mkdtempSync(join(tmpdir(), 'mailtrail-pgd2-'));
      try {
        const url = /connectionString: ("[^"]+")/.exec(readFileSync(config, 'utf8'))![1]!;
        const second = writeConfig(
          otherDir,
          baseConfig(otherDir, `eventLog: { type: postgres, connectionString: ${url} }\n`),
        );
        await assert.rejects(
          startDaemon(second),
          /daemon exited 75 before listening: .*in use by another mailtrail daemon named "mx\.example\.test" \(mailtrail mx\.example\.test from the local socket/s,
        );
      } finally {
        rmSync(otherDir, { recursive: true, force: true });
      }

      // Restart: start-up reads the shared log; nothing is delivered twice.
      await d.kill('SIGTERM');
      d = await startDaemon(config);
      assert.match(await send(d, 'pg-3'), /^250 /);
      await waitFor(() => delivered().length === 4, 'the fourth message is in the Maildir');

      // PostgreSQL down: no 250 without a durable record.
      await server.kill();
      await assert.rejects(send(d, 'pg-down'), (err: Error & { responseCode?: number; response?: string }) => {
        assert.equal(err.responseCode, 451, String(err.response ?? err.message));
        assert.match(String(err.response), /4\.3\.0/);
        return true;
      });
      await server.restart();
      // The edge's health gate answers 4xx at MAIL until its probe appends again (about a second).
      let back = '';
      for (let i = 0; i < 60 && !back.startsWith('250'); i++) {
        back = await send(d, 'pg-back').catch((err: Error & { responseCode?: number }) => {
          assert.equal(err.responseCode, 451, String(err.message));
          return new Promise<string>((r) => setTimeout(() => r(''), 250));
        });
      }
      assert.match(back, /^250 /);
      await waitFor(() => delivered().length === 5, 'the message sent after the restart of PostgreSQL is delivered');
      assert.ok(!delivered().some((m) => m.includes('pg-down')), 'the refused message was not delivered');
    } finally {
      await d.kill('SIGTERM');
    }
  });

  it('loses no acknowledged message when the daemon is SIGKILLed mid-load: the restarted daemon recovers from the log', async () => {
    const acknowledged = new Set<string>();
    const d = await startDaemon(config);
    let stop = false;
    const client = async (c: number) => {
      for (let n = 0; !stop; n++) {
        const token = `kill-c${c}n${n}`;
        try {
          if (/^250 /.test(await send(d, token))) acknowledged.add(token);
        } catch {
          return;
        }
      }
    };
    const clients = [0, 1, 2].map(client);
    for (let i = 0; i < 800 && acknowledged.size < 12; i++) await sleep(25);
    stop = true;
    d.child.kill('SIGKILL');
    await d.exited;
    await Promise.all(clients);
    assert.ok(acknowledged.size >= 12, `only ${acknowledged.size} acknowledged before the kill`);
    const again = await startDaemon(config);
    try {
      const tokens = () => new Set(delivered().map((m) => /X-Token: (\S+)/.exec(m)?.[1]));
      await waitFor(
        () => [...acknowledged].every((t) => tokens().has(t)),
        'every acknowledged message is in the Maildir',
      );
      const counts = new Map<string, number>();
      for (const m of delivered()) {
        const t = /X-Token: (\S+)/.exec(m)?.[1];
        if (t?.startsWith('kill-')) counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      const duplicates = [...counts.values()].filter((n) => n > 1).length;
      console.log(`postgres crash: ${acknowledged.size} acknowledged, 0 lost, ${duplicates} delivered twice`);
      // Every message the log knows ends delivered: none left live after recovery.
      let live: unknown[] = [];
      for (let i = 0; i < 20; i++) {
        const queue = await runCli(['queue', '--json', '--config', config]);
        assert.equal(queue.code, 0, queue.stderr);
        live = JSON.parse(queue.stdout) as unknown[];
        if (live.length === 0) break;
        await sleep(250);
      }
      assert.deepEqual(live, []);
    } finally {
      await again.kill('SIGTERM');
    }
  });
});
