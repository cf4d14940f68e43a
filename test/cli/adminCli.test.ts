/**
 * The command line as admins expect it (issue 10, points 7 and 9), run as real child processes
 * against a real queue whose ControlServer plays the daemon: `--help` for every command and
 * `--version`; usage errors exit 64; `history` takes the stream names `tail` prints and links a
 * bounced message to its DSN; refusals in plain words; `queue` shows held messages as held;
 * bulk operator commands (filters, ids on stdin); `show --headers|--body|--envelope`;
 * `mailtrail sendmail` through the control socket (origin local), and plainly refused with no
 * daemon; `run` refuses a relay program that does not exist (exit 78).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBounceSender } from '../../src/bounce/bounceSender.js';
import { commands } from '../../src/cli/commands.js';
import { loadHistory } from '../../src/replay/history.js';
import { ControlServer } from '../../src/control/controlServer.js';
import { controlSocketPath } from '../../src/control/protocol.js';
import { makeHarness, sampleBody, type Harness } from '../support/queueHarness.js';
import { runCli, waitUntil, writeCliConfig, type CliResult } from './cliProcess.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI with `input` on stdin. */
function runCliWithInput(args: readonly string[], input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/run.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** `mailtrail <name> --help` for each name, in one child process (one per command is slow): name → [exit code, output]. */
function helpOfEach(names: readonly string[]): Promise<Map<string, [number, string]>> {
  const script = `const { main } = await import(${JSON.stringify(join(ROOT, 'src/cli/main.ts'))});
for (const name of ${JSON.stringify(names)}) {
  process.stdout.write('\\n=== ' + name + '\\n');
  const code = await main([name, '--help']);
  process.stdout.write('\\n=== exit ' + code + '\\n');
}`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: ROOT, timeout: 120_000 },
      (err, stdout) => {
        if (err) return reject(err);
        const out = new Map<string, [number, string]>();
        for (const m of stdout.matchAll(/\n=== (\S+)\n([\s\S]*?)\n=== exit (\d+)\n/g))
          out.set(m[1]!, [Number(m[3]), m[2]!]);
        resolve(out);
      },
    );
  });
}

describe('mailtrail <command> --help, --version and usage errors', () => {
  it('every command answers --help with its usage, exit 0', async () => {
    const names = Object.keys(commands);
    const help = await helpOfEach(names);
    for (const name of names) {
      const [code, text] = help.get(name) ?? [-1, ''];
      assert.equal(code, 0, `${name} --help exit code`);
      assert.ok(text.startsWith(`usage: mailtrail ${name}`), `${name} --help printed: ${text}`);
    }
    const short = await runCli(['queue', '-h']);
    assert.equal(short.code, 0);
    assert.match(short.stdout, /-c, --config FILE/);
  });

  it('--version prints the version, exit 0', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^mailtrail \d+\.\d+\.\d+ \(message machine v\d+, smtpSession machine v\d+\)\n$/);
  });

  it('an unknown option, a missing id or an unknown value is a usage error: exit 64, with the usage', async () => {
    const bogus = await runCli(['queue', '--bogus']);
    assert.equal(bogus.code, 64);
    assert.match(bogus.stderr, /^mailtrail queue: Unknown option '--bogus'\nusage: mailtrail queue /);
    assert.doesNotMatch(bogus.stderr, /To specify a positional argument/);
    assert.equal((await runCli(['history'])).code, 64);
    assert.equal((await runCli(['hold'])).code, 64);
    const state = await runCli(['search', '--state', 'bogus']);
    assert.equal(state.code, 64);
    assert.match(
      state.stderr,
      /--state: unknown value "bogus"; valid values: received, policies-applied, .*deferred, held, .*live, final/,
    );
    const type = await runCli(['tail', '--type', 'MessageHeld,Bogus']);
    assert.equal(type.code, 64);
    assert.match(type.stderr, /--type: unknown value "Bogus"; valid values: MessageReceived, .*ClientGreeted/);
  });

  it('run refuses a relay program that does not exist: a configuration error, exit 78', async () => {
    const h = await makeHarness();
    try {
      const file = join(h.dir, 'bad.yaml');
      writeFileSync(
        file,
        `dataDir: ${JSON.stringify(h.dir)}\nsmtp: { listen: 127.0.0.1:0 }\nrelay: { type: maildrop, path: /nonexistent/bin/maildrop }\n`,
      );
      const r = await runCli(['run', '--config', file]);
      assert.equal(r.code, 78, r.stderr);
      assert.match(
        r.stderr,
        /configuration error: .*bad\.yaml: relay\.path: the maildrop relay's program "\/nonexistent\/bin\/maildrop" cannot be run/,
      );
    } finally {
      await h.close();
    }
  });
});

describe('the operator commands and history, with the daemon running and without', () => {
  let h: Harness;
  let server: ControlServer | undefined;
  let config: string;
  const cli = (...args: string[]) => runCli([...args, '--config', config]);
  const deferred = async (to: string): Promise<string> => {
    const id = await h.queue.enqueue({
      envelope: { sender: 'alice@remote.test', recipients: [to] },
      body: [sampleBody()],
    });
    await h.waitFor(id, ['deferred']);
    return id;
  };
  const startDaemon = async () => {
    server = new ControlServer({ path: controlSocketPath(h.dir), queue: h.queue });
    await server.start();
  };
  const stopDaemon = async () => {
    await server?.stop();
    server = undefined;
  };

  before(async () => {
    h = await makeHarness({
      queue: {
        onBounce: createBounceSender({ hostname: 'mx.example.test' }),
        retry: { minBackoff: 3_600_000, maxBackoff: 3_600_000, maxLifetime: 86_400_000 },
      },
    });
    config = writeCliConfig(h.dir);
  });
  after(async () => {
    await stopDaemon();
    await h.close();
  });

  it('without a daemon: a refusal says what to do, and queue shows the message held', async () => {
    const id = await deferred('carol@remote.test');
    const hold = await cli('hold', id);
    assert.equal(hold.code, 0, hold.stderr);
    const retry = await cli('retry', id);
    assert.equal(retry.code, 1);
    assert.equal(retry.stderr, `mailtrail retry: message ${id} is held; release it first\n`);
    const queue = await cli('queue');
    assert.match(queue.stdout, new RegExp(`^${id}\\s+held\\s.*on hold: no attempts until \`mailtrail release\``, 'm'));
    assert.doesNotMatch(queue.stdout.split('\n').find((l) => l.startsWith(id)) ?? '', /next in/);
    assert.equal((await cli('delete', id)).code, 0);
  });

  it('bulk: --to-domain selects, ids come on stdin, --all takes every message the command applies to', async () => {
    await startDaemon();
    const remote = [await deferred('bob@remote.test'), await deferred('carol@remote.test')];
    const far = await deferred('dave@far.test');
    const held = await cli('hold', '--to-domain', 'remote.test');
    assert.equal(held.code, 0, held.stderr);
    assert.match(held.stdout, /held 2 message\(s\) \(via the daemon\)/);
    for (const id of remote) assert.equal(h.queue.stateOf(id), 'held');
    assert.equal(h.queue.stateOf(far), 'deferred');
    const found = await cli('search', '--state', 'held');
    const released = await runCliWithInput(['release', '-', '--config', config], found.stdout);
    assert.equal(released.code, 0, released.stderr);
    assert.match(released.stdout, /released 2 message\(s\)/);
    for (const id of remote) assert.equal(h.queue.stateOf(id), 'deferred');
    const deleted = await cli('delete', '--all', '--from-domain', '@remote.test');
    assert.match(deleted.stdout, /deleted 3 message\(s\) \(via the daemon\)/);
    await waitUntil(() => [...remote, far].every((id) => h.queue.stateOf(id) === undefined), 'all three deleted');
    const usage = await cli('hold', far, '--all');
    assert.equal(usage.code, 64);
    const badState = await cli('release', '--all', '--state', 'deferred');
    assert.equal(badState.code, 64);
    assert.match(badState.stderr, /--state deferred: release applies to messages in held/);
    await stopDaemon();
  });

  it('history takes message-<id> and session-<id>, and links a bounced message to its DSN', async () => {
    await startDaemon();
    const id = await deferred('erin@remote.test');
    const bounced = await cli('bounce', id);
    assert.equal(bounced.code, 0, bounced.stderr);
    await h.waitFor(`${id}.DSN`, ['delivered', 'deferred']);
    const r = await cli('history', `message-${id}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^message-${id}\\n`));
    assert.match(
      r.stdout,
      new RegExp(
        `^linked message-${id}\\.DSN \\(DSN \\(bounce report\\)\\): \\d+ events, now \\w+ \\(sender=<> recipients=alice@remote\\.test`,
        'm',
      ),
    );
    const json = JSON.parse((await cli('history', id, '--json')).stdout) as {
      links: string[];
      roles: Record<string, string>;
    };
    assert.equal(json.roles[`${id}.DSN`], 'dsn');
    const dsn = await cli('history', `message-${id}.DSN`);
    assert.match(dsn.stdout, new RegExp(`^linked message-${id} \\(bounced message\\)`, 'm'));
    assert.equal((await cli('history', `session-${id}`)).code, 1, 'a message id is not a session');
    await stopDaemon();
  });

  it('show --headers, --body and --envelope print one part each', async () => {
    const id = await deferred('frank@remote.test');
    const headers = await cli('show', id, '--headers');
    assert.equal(headers.code, 0, headers.stderr);
    assert.match(headers.stdout, /^Received: /);
    assert.match(headers.stdout, /\nSubject: hello\n$/);
    const body = await cli('show', id, '--body');
    assert.equal(body.stdout, 'Hi Bob,\r\nthis is a test.\r\n');
    const envelope = await cli('show', id, '--envelope');
    assert.match(
      envelope.stdout,
      /^message \S+ \(deferred, \d+ bytes, received .*, origin smtp\)\nsender: <alice@remote\.test>\nrecipient: <frank@remote\.test> pending 4\.3\.5/,
    );
    assert.equal((await cli('show', id, '--body', '--headers')).code, 64);
  });

  it('sendmail queues stdin through the daemon (origin local): -t adds To/Cc/Bcc, Bcc is removed, From is added', async () => {
    await startDaemon();
    const input =
      'To: bob@example.test\nBcc: secret@example.test\nSubject: nightly report\n\nall fine\n.\nnot part of it\n';
    const r = await runCliWithInput(
      [
        'sendmail',
        '-t',
        '-v',
        '-f',
        'cron@example.test',
        '-F',
        'Cron Daemon',
        'carol@example.test',
        '--config',
        config,
      ],
      input,
    );
    assert.equal(r.code, 0, r.stderr);
    const id = /queued as (\S+)/.exec(r.stderr)?.[1];
    assert.ok(id, r.stderr);
    await h.waitFor(id, ['delivered']);
    const received = (await loadHistory(h.log, id))?.entries[0]?.data;
    assert.equal(received?.origin, 'local');
    assert.equal(received?.sender, 'cron@example.test');
    assert.deepEqual(received?.recipients, ['carol@example.test', 'bob@example.test', 'secret@example.test']);
    const headers = (await cli('show', id, '--headers')).stdout;
    assert.doesNotMatch(headers, /^Bcc:/im);
    assert.match(headers, /^From: "Cron Daemon" <cron@example\.test>$/m);
    assert.equal((await cli('show', id, '--body')).stdout, 'all fine\r\n', 'a lone dot ends the message');
    const none = await runCliWithInput(['sendmail', '--config', config], 'Subject: x\n\nno recipients\n');
    assert.equal(none.code, 64);
    await stopDaemon();
    const down = await runCliWithInput(['sendmail', 'bob@example.test', '--config', config], 'Subject: x\n\nhello\n');
    assert.equal(down.code, 75);
    assert.match(down.stderr, /the message was NOT queued: the daemon is not running/);
  });
});
