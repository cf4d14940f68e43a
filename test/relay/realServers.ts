/**
 * Test helper: starts the real programs the SMTP/LMTP relay tests talk to, on loopback and
 * free ports, and stops them (by their own pid) afterwards: postfix's smtp-sink (with its
 * options, dumping each transaction into a directory), dnsmasq serving test zones from a
 * conf file, and Dovecot's lmtp service with a config in a temp directory. Each start
 * waits until the server answers; A missing program fails the test (test/ci/programs.test.ts names
 * its Debian package).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const SMTP_SINK = '/usr/sbin/smtp-sink';
export const DNSMASQ = '/usr/sbin/dnsmasq';
export const DOVECOT = '/usr/sbin/dovecot';

/** A TCP port free on every one of `hosts` right now. */
export async function freePort(hosts: readonly string[] = ['127.0.0.1']): Promise<number> {
  for (;;) {
    const port = await listenOnce(hosts[0]!, 0);
    let ok = true;
    for (const host of hosts.slice(1)) ok &&= (await listenOnce(host, port).catch(() => 0)) === port;
    if (ok) return port;
  }
}

function listenOnce(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      const got = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(got));
    });
  });
}

export interface Running {
  readonly child: ChildProcess;
  readonly dir: string;
  stop(): Promise<void>;
  output(): string;
}

function run(program: string, args: string[], dir: string): Running {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return {
    child,
    dir,
    output: () => output,
    stop: async () => {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitFor(what: string, probe: () => Promise<boolean>, server: Running): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (server.child.exitCode !== null) throw new Error(`${what} exited: ${server.output()}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.stop();
  throw new Error(`${what} did not start: ${server.output()}`);
}

function connects(target: { host: string; port: number } | { path: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(target as net.NetConnectOpts);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  await chmod(dir, 0o755); // the servers drop privileges and must still reach their files
  return dir;
}

/** smtp-sink on host:port with extra options (e.g. ['-f', 'RCPT']); dumps into `dir/dump`. */
export async function startSmtpSink(
  host: string,
  port: number,
  options: string[] = [],
): Promise<Running & { dumps(): Promise<string[]> }> {
  const dir = await tempDir('mailtrail-sink-');
  const dump = path.join(dir, 'dump');
  await mkdir(dump);
  await chmod(dump, 0o777);
  const asRoot = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const sink = run(SMTP_SINK, [...asRoot, '-d', `${dump}/%Y%m%d%H%M%S.`, ...options, `${host}:${port}`, '10'], dir);
  await waitFor('smtp-sink', () => connects({ host, port }), sink);
  const dumps = async (): Promise<string[]> => {
    const names = (await readdir(dump)).sort();
    return Promise.all(names.map((name) => readFile(path.join(dump, name), 'utf8')));
  };
  return { ...sink, dumps };
}

/** dnsmasq answering only from `conf` lines (mx-host, host-record, dns-rr, …) on 127.0.0.1. */
export async function startDnsmasq(confLines: readonly string[]): Promise<Running & { server: string }> {
  const dir = await tempDir('mailtrail-dns-');
  const port = await freePort();
  const conf = path.join(dir, 'dnsmasq.conf');
  await writeFile(
    conf,
    [
      `port=${port}`,
      'listen-address=127.0.0.1',
      'bind-interfaces',
      'no-resolv',
      'no-hosts',
      'no-poll',
      'pid-file=',
      ...confLines,
      '',
    ].join('\n'),
  );
  const dns = run(DNSMASQ, ['-k', '-C', conf], dir);
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  await waitFor(
    'dnsmasq',
    async () => {
      try {
        await resolver.resolve4('probe.invalid');
        return true;
      } catch (err) {
        return (err as { code?: string }).code !== 'ECONNREFUSED' && (err as { code?: string }).code !== 'ETIMEOUT';
      }
    },
    dns,
  );
  return { ...dns, server: `127.0.0.1:${port}` };
}

/** A Dovecot lmtp service on 127.0.0.1:port and a unix socket, users from `users`. */
export async function startDovecotLmtp(
  users: readonly { user: string; extra?: string }[],
): Promise<Running & { port: number; socket: string; mailDir: string; log(): Promise<string> }> {
  const dir = await tempDir('mailtrail-dovecot-');
  const mailDir = path.join(dir, 'mail');
  await mkdir(mailDir);
  await chmod(mailDir, 0o777);
  const port = await freePort();
  const socket = path.join(dir, 'lmtp.sock');
  const passwd = users.map(({ user, extra }) => `${user}::65534:65534::${mailDir}/${user}::${extra ?? ''}`).join('\n');
  await writeFile(path.join(dir, 'users'), `${passwd}\n`);
  await writeFile(
    path.join(dir, 'dovecot.conf'),
    `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = lmtp
ssl = no
listen = 127.0.0.1
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = 65534
mail_gid = 65534
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_plugins = quota
lmtp_rcpt_check_quota = no
auth_username_format = %Lu
passdb {
  driver = passwd-file
  args = ${dir}/users
}
userdb {
  driver = passwd-file
  args = ${dir}/users
}
plugin {
  quota = maildir:User quota
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${port}
  }
  unix_listener ${socket} {
    mode = 0666
  }
}
`,
  );
  const dovecot = run(DOVECOT, ['-F', '-c', path.join(dir, 'dovecot.conf')], dir);
  await waitFor(
    'dovecot',
    async () => (await connects({ host: '127.0.0.1', port })) && connects({ path: socket }),
    dovecot,
  );
  return {
    ...dovecot,
    port,
    socket,
    mailDir,
    log: () => readFile(path.join(dir, 'dovecot.log'), 'utf8').catch(() => ''),
  };
}
