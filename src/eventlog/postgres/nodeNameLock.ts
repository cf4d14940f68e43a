/**
 * NodeNameLock: one daemon per node name on a shared PostgreSQL log. Several daemons share
 * one database (each claims its attempts with AttemptClaimed at the expected revision), but
 * two with the same `node` would take each other's claims for their own and renew them: the
 * second refuses to start. A session advisory lock keyed on the node name, held on a
 * connection of its own for as long as the log is open; `acquire()` throws
 * EventLogLockedError naming the holder when another session has it. If that connection
 * breaks (a server restart) the lock is gone: it is taken again on the next append, and if
 * another daemon of that name took it meanwhile, appends reject with EventLogLockedError
 * (451 4.3.0): the node stops acknowledging mail rather than write beside its namesake.
 */
import pg from 'pg';
import { MailtrailError } from '../../errors/mailtrailError.js';

/** An arbitrary constant: the first key of the two-key advisory lock (the second: the name's hash). */
const NODE_LOCK_CLASS = 1_296_126_292;

/** Another daemon with this node name writes to this PostgreSQL database. */
export class EventLogLockedError extends MailtrailError {
  constructor(target: string, node: string, holder: string) {
    super(
      'ERR_EVENTLOG_LOCKED',
      `event log ${target} is in use by another mailtrail daemon named "${node}" (${holder}): give each daemon its own \`node\` name`,
      {
        smtpCode: 451,
        enhancedStatus: '4.3.0',
      },
    );
  }
}

/** A stable 31-bit hash of the node name (FNV-1a), the advisory lock's second key. */
export function nodeLockKey(node: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(node, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h & 0x7fffffff;
}

export class NodeNameLock {
  private client: pg.Client | undefined;
  private held = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly target: string,
    private readonly node: string,
  ) {}

  /** Takes the lock (again, after a lost connection); throws EventLogLockedError if taken. */
  async acquire(): Promise<void> {
    if (this.held) return;
    await this.release();
    const client = new pg.Client(this.config);
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.client === client) {
        this.client = undefined;
        this.held = false;
      }
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
        NODE_LOCK_CLASS,
        nodeLockKey(this.node),
      ]);
      if (!rows[0]!.ok) throw new EventLogLockedError(this.target, this.node, await holderOf(client, this.node));
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.held = true;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.held = false;
    await client?.end().catch(() => undefined);
  }
}

async function holderOf(client: pg.Client, node: string): Promise<string> {
  const { rows } = await client.query<{ application_name: string; client_addr: string | null; pid: number }>(
    `SELECT a.application_name, host(a.client_addr) AS client_addr, a.pid
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2 AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [NODE_LOCK_CLASS, nodeLockKey(node)],
  );
  const row = rows[0];
  if (!row) return 'a session that has just ended: try again';
  return `${row.application_name || 'a client'} from ${row.client_addr ?? 'the local socket'}, server pid ${row.pid}`;
}
