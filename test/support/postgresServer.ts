/**
 * A real, throw-away PostgreSQL 15 server for tests: `initdb` into a temp directory as the
 * unprivileged `postgres` user (Debian package postgresql-15), then `postgres` listening only
 * on a unix socket in that directory (no TCP). `stop()` shuts it down (SIGINT: fast shutdown)
 * and removes the directory. Missing binaries or user fail loudly, never skip: install
 * postgresql-15 (it is in .ci/run's packages). `createDatabase()` gives each test file or
 * test its own database on the one server; `connectionString(db)` is what the daemon gets.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const INITDB = '/usr/lib/postgresql/15/bin/initdb';
const POSTGRES = '/usr/lib/postgresql/15/bin/postgres';

export interface PostgresServer {
  /** The directory holding the unix socket (the `host` of a socket connection). */
  readonly socketDir: string;
  /** A connection string for `database` (default `postgres`) over the unix socket. */
  connectionString(database?: string): string;
  /** Creates a fresh database and returns its connection string. */
  createDatabase(name?: string): Promise<string>;
  /** Kills the server with `signal` (default SIGINT, a fast shutdown) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same data directory (after kill). */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

function requireBinaries(): { uid: number; gid: number } {
  for (const program of [INITDB, POSTGRES]) {
    try {
      accessSync(program, constants.X_OK);
    } catch {
      throw new Error(`${program} is missing: install the Debian package postgresql-15 (listed in .ci/run)`);
    }
  }
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('no `postgres` user: the Debian package postgresql-15 creates it');
  }
}

let counter = 0;

export async function startPostgres(): Promise<PostgresServer> {
  const { uid, gid } = requireBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-pg-'));
  chownSync(dir, uid, gid);
  const dataDir = join(dir, 'data');
  const asPostgres = { uid, gid, env: { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' } };
  execFileSync(INITDB, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'], {
    ...asPostgres,
    stdio: ['ignore', 'ignore', 'pipe'],
  });

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let removed = false;
  const stderr: string[] = [];

  async function launch(): Promise<void> {
    const proc = spawn(
      POSTGRES,
      [
        '-D',
        dataDir,
        '-k',
        dir,
        '-c',
        'listen_addresses=',
        '-c',
        'max_connections=200',
        '-c',
        'unix_socket_permissions=0700',
      ],
      { ...asPostgres, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.push(chunk);
      if (stderr.length > 200) stderr.shift();
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`postgres exited at start:\n${stderr.join('')}`);
      const client = new pg.Client({ host: dir, user: 'postgres', database: 'postgres' });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections in 30 s:\n${stderr.join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async function kill(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  }

  await launch();
  return {
    socketDir: dir,
    connectionString: (database = 'postgres') => `postgresql://postgres@/${database}?host=${encodeURIComponent(dir)}`,
    async createDatabase(name = `mt_${process.pid}_${++counter}`) {
      const client = new pg.Client({ host: dir, user: 'postgres', database: 'postgres' });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return `postgresql://postgres@/${name}?host=${encodeURIComponent(dir)}`;
    },
    kill,
    restart: launch,
    async stop() {
      if (removed) return;
      removed = true;
      await kill('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
