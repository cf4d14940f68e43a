/**
 * Three real daemons (mx1, mx2, mx3) share one real PostgreSQL log and body store. Mail goes
 * in through all three while a slow pipe relay (it sleeps before it delivers) keeps attempts
 * in flight; mx2 is SIGKILLed in the middle. Then: every acknowledged message is delivered
 * (0 lost), duplicates are counted and printed (at-least-once: mx2's relay children finish
 * after it died, and the node that takes the attempt over delivers again), mx2's claims are
 * taken over by mx1 or mx3 once their lease ran out, `history` on any node names the node that
 * wrote each event, and no message is left live. A second case restarts PostgreSQL itself
 * under load: no 250 while the log cannot be written, every 250 delivered, 250 again after.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from '../cli/cliProcess.js';
import { startDaemon, writeConfig, type DaemonProcess } from '../support/daemonProcess.js';
import { startPostgres, type PostgresServer } from '../support/postgresServer.js';
import { smtpSend } from '../support/smtpClient.js';

const root = mkdtempSync(join(tmpdir(), 'mailtrail-cluster-'));
chmodSync(root, 0o755);
let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Maildir-like sink the slow relay writes into: tmp/ then a rename into new/. */
function sink(name: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  mkdirSync(join(dir, 'new'), { recursive: true });
  return dir;
}

/** Delivers into the sink (tmp/, then new/) after sleeping; with `gate`, defers (exit 75) until $0/open exists. */
function slowScript(relaySleep: string, gate = false): string {
  // A message cut short (the daemon writing it was killed) is refused with 75, as an MDA
  // that checks its input would: its last line must be the token its header names.
  const complete = 't=$(sed -n "s/^X-Token: //p" "$f" | head -n 1); [ -n "$t" ] && tail -n 1 "$f" | grep -qxF "$t"';
  return `${gate ? '[ -e "$0/open" ] || exit 75; ' : ''}sleep ${relaySleep}; f=$(mktemp -p "$0/tmp" m.XXXXXX) && cat > "$f" && { ${complete} || { rm -f "$f"; exit 75; }; } && mv "$f" "$0/new/"`;
}

function nodeConfig(
  node: string,
  url: string,
  sinkDir: string,
  relaySleep: string,
  script = slowScript(relaySleep),
): string {
  const dir = join(root, `${node}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir, { recursive: true });
  // Recipients never reach the shell: only the sink directory does, as $0.
  return writeConfig(
    dir,
    `hostname: mx.example.test
node: ${node}
dataDir: ${dir}
eventLog: { type: postgres, connectionString: ${JSON.stringify(url)} }
smtp: { listen: 127.0.0.1:0, domains: [example.test] }
relay: { type: pipe, command: ["/bin/sh", "-c", ${JSON.stringify(script)}, ${JSON.stringify(sinkDir)}], timeout: 30s }
queue: { retry: { minBackoff: 1s, maxBackoff: 2s, maxLifetime: 1h }, claimLease: 3s, concurrency: 10 }
log: { level: info }
`,
  );
}

function deliveredTokens(sinkDir: string): string[] {
  const dir = join(sinkDir, 'new');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => /X-Token: (\S+)/.exec(readFileSync(join(dir, f), 'utf8'))?.[1] ?? '?');
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, tries = 1200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting until ${what}`);
}

const send = (d: DaemonProcess, token: string) =>
  smtpSend({
    port: d.port,
    from: 'alice@remote.test',
    to: ['bob@example.test'],
    body: `Subject: ${token}\r\nX-Token: ${token}\r\n\r\n${token}\r\n`,
  });

/** Clients that send to `d` until stopped; 250s are recorded with the queue id. */
function load(d: DaemonProcess, prefix: string, acknowledged: Map<string, string>, refused: { n: number }) {
  let stop = false;
  const clients = [0, 1, 2].map(async (c) => {
    for (let n = 0; !stop; n++) {
      const token = `${prefix}c${c}n${n}`;
      try {
        const reply = await send(d, token);
        if (/^250 /.test(reply)) acknowledged.set(token, /queued as (\S+)/.exec(reply)![1]!);
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        // A 4xx is the daemon saying "not stored, try later"; a dead daemon refuses the connection.
        if (code !== undefined) assert.ok(code >= 400 && code < 500, `unexpected reply ${code}: ${String(err)}`);
        refused.n += 1;
        await sleep(50);
        if (code === undefined && d.child.exitCode !== null) return;
        if (code === undefined && d.child.signalCode !== null) return;
      }
    }
  });
  return {
    stop: async () => {
      stop = true;
      await Promise.all(clients);
    },
  };
}

interface ClaimRow {
  stream: string;
  data: { node: string; attempt: number; leaseUntil: string; at: string };
}

describe('three daemons on one PostgreSQL', () => {
  it('loses no acknowledged message when one node is SIGKILLed mid-attempt: its claims are taken over after the lease', async () => {
    const url = await server.createDatabase('cluster');
    const out = sink('sink-kill');
    const configs = ['mx1', 'mx2', 'mx3'].map((n) => nodeConfig(n, url, out, '1.5'));
    const daemons = await Promise.all(configs.map((c) => startDaemon(c)));
    const [mx1, mx2, mx3] = daemons as [DaemonProcess, DaemonProcess, DaemonProcess];
    const acknowledged = new Map<string, string>();
    const refused = { n: 0 };
    try {
      const loads = [
        load(mx1, 'a', acknowledged, refused),
        load(mx2, 'b', acknowledged, refused),
        load(mx3, 'c', acknowledged, refused),
      ];
      await waitFor(
        () => [...acknowledged.keys()].filter((t) => t.startsWith('b')).length >= 8,
        'mx2 acknowledged 8 messages',
      );
      // mx2's attempts sleep 1.5 s in the relay: some are in flight now.
      mx2.child.kill('SIGKILL');
      await mx2.exited;
      await waitFor(() => acknowledged.size >= 40, '40 messages acknowledged in all');
      await Promise.all(loads.map((l) => l.stop()));

      const tokens = [...acknowledged.keys()];
      await waitFor(() => {
        const got = new Set(deliveredTokens(out));
        return tokens.every((t) => got.has(t));
      }, 'every acknowledged message is delivered');
      const counts = new Map<string, number>();
      for (const t of deliveredTokens(out)) counts.set(t, (counts.get(t) ?? 0) + 1);
      const duplicates = [...counts.entries()].filter(([, n]) => n > 1);
      console.log(
        `cluster kill -9: ${acknowledged.size} acknowledged (${tokens.filter((t) => t.startsWith('b')).length} by mx2), 0 lost, ${duplicates.length} delivered twice or more, ${refused.n} refused or cut off`,
      );
      for (const t of counts.keys()) assert.ok(t !== '?', 'every delivered file carries its token');

      // The dead node's claims: another node claimed the same message after mx2's lease ran out.
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      let claims: ClaimRow[];
      try {
        claims = (
          await client.query<ClaimRow>(
            `SELECT stream, data FROM mailtrail_events WHERE type = 'AttemptClaimed' ORDER BY position`,
          )
        ).rows;
      } finally {
        await client.end();
      }
      const byStream = new Map<string, ClaimRow['data'][]>();
      for (const c of claims) byStream.set(c.stream, [...(byStream.get(c.stream) ?? []), c.data]);
      const takeovers = [...byStream.entries()].filter(([, list]) =>
        list.some(
          (c, i) =>
            c.node === 'mx2' &&
            list.slice(i + 1).some((l) => l.node !== 'mx2' && Date.parse(l.at) >= Date.parse(c.leaseUntil)),
        ),
      );
      // Duplicates of messages mx2 never claimed: a live node's lease ran out under load (slow renewals).
      const mx2Claimed = new Set(
        [...byStream.entries()].filter(([, list]) => list.some((c) => c.node === 'mx2')).map(([stream]) => stream),
      );
      const elsewhere = duplicates.filter(([token]) => !mx2Claimed.has(`message-${acknowledged.get(token)}`)).length;
      console.log(
        `cluster kill -9: ${takeovers.length} attempts of mx2 taken over after its lease; ${duplicates.length - elsewhere} duplicates on messages mx2 had claimed, ${elsewhere} on others (a live node's lease ran out)`,
      );
      assert.ok(takeovers.length >= 1, 'some claim of mx2 was taken over by another node');
      // No claim was ever taken from a node whose lease still ran (the machine refuses it).
      for (const [, list] of byStream) {
        for (let i = 1; i < list.length; i++) {
          const before = list[i - 1]!;
          const now = list[i]!;
          if (now.node !== before.node && now.attempt === before.attempt + 1) continue; // after the attempt ended or the lease ran out
          if (now.node !== before.node)
            assert.ok(
              Date.parse(now.at) >= Date.parse(before.leaseUntil),
              `claim of ${now.node} while ${before.node}'s lease ran`,
            );
        }
      }

      // Every node sees the one queue: nothing is left live, and history shows who did what.
      await waitFor(
        async () => {
          const queue = await runCli(['queue', '--json', '--config', configs[2]!]);
          assert.equal(queue.code, 0, queue.stderr);
          return (JSON.parse(queue.stdout) as unknown[]).length === 0;
        },
        'no message is left live',
        200,
      );
      const [takenStream] = takeovers[0]!;
      const history = await runCli(['history', takenStream.slice('message-'.length), '--config', configs[0]!]);
      assert.equal(history.code, 0, history.stderr);
      assert.match(history.stdout, /AttemptClaimed .*node=mx2/);
      assert.match(history.stdout, /AttemptClaimed .*node=mx[13]/);
      assert.match(history.stdout, /DeliverySucceeded .*node=mx[13]/);
    } finally {
      for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) await d.kill('SIGTERM');
    }
  });

  it('answers 4xx, never 250, while PostgreSQL restarts under load, and delivers every acknowledged message once it is back', async () => {
    const url = await server.createDatabase('restart');
    const out = sink('sink-restart');
    const configs = ['mx1', 'mx2'].map((n) => nodeConfig(n, url, out, '0.2'));
    const daemons = await Promise.all(configs.map((c) => startDaemon(c)));
    const acknowledged = new Map<string, string>();
    const refused = { n: 0 };
    try {
      const loads = daemons.map((d, i) => load(d, `r${i}`, acknowledged, refused));
      await waitFor(() => acknowledged.size >= 10, '10 messages acknowledged');
      await server.kill();
      const refusedAtKill = refused.n;
      await waitFor(() => refused.n > refusedAtKill + 3, 'the daemons refuse mail while PostgreSQL is down');
      await server.restart();
      const afterRestart = acknowledged.size;
      await waitFor(
        () => acknowledged.size >= afterRestart + 10,
        '10 more messages acknowledged after PostgreSQL is back',
      );
      await Promise.all(loads.map((l) => l.stop()));
      const tokens = [...acknowledged.keys()];
      await waitFor(() => {
        const got = new Set(deliveredTokens(out));
        return tokens.every((t) => got.has(t));
      }, 'every acknowledged message is delivered');
      const counts = new Map<string, number>();
      for (const t of deliveredTokens(out)) counts.set(t, (counts.get(t) ?? 0) + 1);
      // Never 250 without a durable record: every acknowledged queue id has its MessageReceived.
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string }>(
          `SELECT data->>'messageId' AS id FROM mailtrail_events WHERE type = 'MessageReceived'`,
        );
        const recorded = new Set(rows.map((r) => r.id));
        for (const [token, id] of acknowledged)
          assert.ok(recorded.has(id), `${token} was acknowledged as ${id} but has no MessageReceived`);
      } finally {
        await client.end();
      }
      console.log(
        `cluster PostgreSQL restart: ${acknowledged.size} acknowledged, 0 lost, ${[...counts.values()].filter((n) => n > 1).length} delivered twice, ${refused.n - refusedAtKill} refused while it was down or coming back`,
      );
    } finally {
      for (const d of daemons) await d.kill('SIGTERM');
    }
  });

  it('retries on another node a message deferred by the node that received it, and takes operator commands for it on any node', async () => {
    const url = await server.createDatabase('handover');
    const out = sink('sink-handover');
    const script = slowScript('0', true);
    const [c1, c2] = ['mx1', 'mx2'].map((n) => nodeConfig(n, url, out, '0', script)) as [string, string];
    const mx1 = await startDaemon(c1);
    let mx2: DaemonProcess | undefined;
    try {
      // mx1 receives two messages; the relay defers both (no open gate yet).
      const ids: string[] = [];
      for (const token of ['handed-over', 'operated']) ids.push(/queued as (\S+)/.exec(await send(mx1, token))![1]!);
      const stateOf = async (config: string, id: string): Promise<string | undefined> => {
        const queue = await runCli(['queue', '--all', '--json', '--config', config]);
        assert.equal(queue.code, 0, queue.stderr);
        return (JSON.parse(queue.stdout) as { id: string; state: string }[]).find((m) => m.id === id)?.state;
      };
      await waitFor(
        async () => (await stateOf(c2, ids[0]!)) === 'deferred' && (await stateOf(c2, ids[1]!)) === 'deferred',
        'both messages are deferred',
      );
      // mx1 stops; the operator holds the second message from mx2, which never held it in memory.
      await mx1.kill('SIGTERM');
      mx2 = await startDaemon(c2);
      // A hold is refused while an attempt is in flight (mx2 may be retrying it right now): ask again.
      let held = await runCli(['hold', ids[1]!, '--config', c2]);
      for (let i = 0; i < 40 && held.code === 1 && /being delivered right now/.test(held.stderr); i++) {
        await sleep(100);
        held = await runCli(['hold', ids[1]!, '--config', c2]);
      }
      assert.equal(held.code, 0, held.stderr);
      assert.match(held.stdout, /held, now held \(via the daemon\)/);
      assert.equal(await stateOf(c1, ids[1]!), 'held', 'every node sees the hold');
      // mx1 is gone; the gate opens: mx2 retries the message mx1 received and deferred.
      writeFileSync(join(out, 'open'), '');
      await waitFor(() => deliveredTokens(out).includes('handed-over'), 'mx2 delivers the message mx1 deferred');
      const history = await runCli(['history', ids[0]!, '--config', c1]);
      assert.equal(history.code, 0, history.stderr);
      assert.match(history.stdout, /MessageReceived .*node=mx1/);
      assert.match(history.stdout, /DeliveryDeferred .*node=mx1/);
      assert.match(history.stdout, /AttemptClaimed .*node=mx2/);
      assert.match(history.stdout, /DeliverySucceeded .*node=mx2/);
      // The held one waits; released and retried from mx2, it is delivered too; delete of a final one is refused.
      assert.ok(!deliveredTokens(out).includes('operated'), 'a held message is not delivered');
      assert.equal((await runCli(['release', ids[1]!, '--config', c2])).code, 0);
      await waitFor(() => deliveredTokens(out).includes('operated'), 'the released message is delivered');
      const refused = await runCli(['delete', ids[1]!, '--config', c2]);
      assert.equal(refused.code, 1);
      const search = await runCli(['search', '--subject', 'operated', '--json', '--config', c1]);
      assert.equal(search.code, 0, search.stderr);
      assert.deepEqual(
        (JSON.parse(search.stdout) as { id: string; state: string }[]).map((m) => [m.id, m.state]),
        [[ids[1]!, 'delivered']],
      );
    } finally {
      if (mx1.child.exitCode === null) await mx1.kill('SIGTERM');
      await mx2?.kill('SIGTERM');
    }
  });
});
