/**
 * WriterLock: one writing daemon per PostgreSQL database until the claims and leases of issue
 * 13 exist (two daemons would both recover and deliver the same messages). A session advisory
 * lock, held on a connection of its own for as long as the log is open; `acquire()` throws
 * EventLogLockedError naming the holder when another session has it. If that connection
 * breaks (a server restart) the lock is gone: it is taken again on the next append, and if
 * another daemon took it meanwhile, appends reject with EventLogLockedError (451 4.3.0): the
 * node stops acknowledging mail rather than write beside the new owner.
 */
import pg from 'pg';
import { MailtrailError } from '../../errors/mailtrailError.js';

/** An arbitrary constant below 2^32 (so pg_locks shows it as objid, classid 0). */
const WRITER_LOCK = 1_296_126_292;

/** Another daemon writes to this PostgreSQL database. */
export class EventLogLockedError extends MailtrailError {
  constructor(target: string, holder: string) {
    super('ERR_EVENTLOG_LOCKED', `event log ${target} is in use by another mailtrail daemon (${holder}): run one daemon per database for now`, {
      smtpCode: 451,
      enhancedStatus: '4.3.0',
    });
  }
}

export class WriterLock {
  private client: pg.Client | undefined;
  private held = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly target: string,
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
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [WRITER_LOCK]);
      if (!rows[0]!.ok) throw new EventLogLockedError(this.target, await holderOf(client));
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

async function holderOf(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ application_name: string; client_addr: string | null; pid: number }>(
    `SELECT a.application_name, host(a.client_addr) AS client_addr, a.pid
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = $1 AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [WRITER_LOCK],
  );
  const row = rows[0];
  if (!row) return 'a session that has just ended: try again';
  return `${row.application_name || 'a client'} from ${row.client_addr ?? 'the local socket'}, server pid ${row.pid}`;
}
