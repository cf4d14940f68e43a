/**
 * `mailtrail check [--config FILE]`: validates the config and the data directory without
 * starting the daemon (safe beside a running one: the log is opened read-only). It checks the
 * config (parse, relays and policies buildable; exit 78 when wrong), the event log's integrity
 * with the bundled SQLite (`PRAGMA quick_check`: the system sqlite3 3.40.0–3.41.0 misreports
 * healthy logs), that every live message has its body and every spooled body its message, and
 * reports the quarantine and file modes; with `--bodies` it also reads every live message's body
 * back and compares its size and sha256 with what MessageReceived recorded (the check the
 * queue makes before a retry). Exit 0 when all is well (a non-empty quarantine is a
 * warning), 1 when something is wrong, each problem on one line with what to do.
 */
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config/index.js';
import { buildPolicies, buildRouter } from '../daemon/components.js';
import { ConfigError } from '../errors/mailtrailError.js';
import { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { liveMessagesFrom } from '../readmodel/messagesProjection.js';
import { idForRef } from '../spool/bodyId.js';
import { type InlineBodyStore, idForInlineRef, isInlineRef } from '../spool/inlineBodies.js';
import { messageStream } from '../mail/streamNames.js';
import { bodyDamageOf } from '../queue/bodyCheck.js';
import { Spool } from '../spool/spool.js';
import { spoolRootOf } from './messageStore.js';
import { UsageError } from './openLog.js';
import { daemonRunning } from './rebuildCommand.js';

const DAMAGED = 'Stop the daemon, keep a copy of the files, and see docs/operations.md, "A damaged event log"';

/** A body younger than this with no message may be one the running daemon is receiving. */
const IN_FLIGHT_MS = 60_000;

export const options = { config: { type: 'string', short: 'c' }, bodies: { type: 'boolean' } } as const;

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError('usage: mailtrail check [--bodies] [--config FILE]');
  let config: Config;
  try {
    config = await loadConfig(values.config);
    buildRouter(config);
    buildPolicies(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`mailtrail check: configuration error: ${err.message}\n`);
    return 78;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const problems: string[] = [];
  const warnings: string[] = [];
  out(`config      ${config.file ?? '(none: defaults)'}: ok`);
  // The Spool makes its directories: only open one that exists (a CLI run as root creates nothing).
  const spoolRoot = spoolRootOf(config);
  if (!existsSync(`${spoolRoot}/bodies`)) {
    out(`spool       ${spoolRoot}: none yet (the daemon has not run with this dataDir)`);
    out('mailtrail check: ok');
    return 0;
  }
  const spool = new Spool(spoolRoot);
  const bodies = await spool.list();
  if (config.eventLog.type !== 'sqlite') {
    out(`event log   ${config.eventLog.type}: not checked (this command checks the sqlite log)`);
  } else {
    const readable = checkSqlite(
      config,
      config.eventLog.path,
      spool,
      bodies,
      out,
      problems,
      warnings,
      await daemonRunning(config.dataDir),
    );
    if (values.bodies && readable) await checkBodies(config.eventLog.path, spool.root, out, problems);
  }
  const quarantined = await spool.listQuarantined();
  out(`quarantine  ${spool.quarantineDir}: ${quarantined.length} bodies`);
  if (quarantined.length > 0)
    warnings.push(
      `${quarantined.length} quarantined bodies (${quarantined.slice(0, 5).join(', ')}${quarantined.length > 5 ? ', …' : ''}): start-up found them in the spool unknown to the log. Each keeps its envelope: \`mailtrail requeue --quarantined\` queues them again; remove the files you do not want`,
    );
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  for (const p of problems) process.stderr.write(`problem: ${p}\n`);
  out(
    problems.length === 0
      ? `mailtrail check: ok${warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : ''}`
      : `mailtrail check: ${problems.length} problem${problems.length > 1 ? 's' : ''}`,
  );
  return problems.length === 0 ? 0 : 1;
}

/** Checks the sqlite log and the spool against it; true when the log could be read (and `--bodies` may read it). */
function checkSqlite(
  config: Config,
  path: string,
  spool: Spool,
  bodies: readonly string[],
  out: (l: string) => void,
  problems: string[],
  warnings: string[],
  running: string | undefined,
): boolean {
  const size = existsSync(path) ? statSync(path).size : -1;
  if (size <= 0) {
    const how = size < 0 ? 'missing' : 'empty (0 bytes)';
    out(`event log   ${path}: ${how}`);
    if (bodies.length > 0)
      problems.push(
        `the event log ${path} is ${how} but ${spool.bodiesDir} holds ${bodies.length} bodies: the daemon refuses to start. Put the log back, or rebuild the queue from the spool: mailtrail requeue --from-spool${config.file ? ` --config ${config.file}` : ''}`,
      );
    return false;
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0)
    warnings.push(
      `${path} has mode ${mode.toString(8)}: other users can read senders and recipients; the daemon makes it 0600 at its next start (or: chmod 600 ${path}*)`,
    );
  let log: SqliteEventLog;
  try {
    log = new SqliteEventLog(path, { readonly: true });
  } catch (err) {
    problems.push(`the event log ${path} cannot be opened: ${(err as Error).message}. ${DAMAGED}`);
    return false;
  }
  try {
    const db = log.database;
    const version = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
    const rows = (db.prepare('PRAGMA quick_check').all() as { quick_check: string }[]).map((r) => r.quick_check);
    if (rows.length !== 1 || rows[0] !== 'ok') {
      problems.push(
        `the event log ${path} is damaged (PRAGMA quick_check, SQLite ${version.v}): ${rows.slice(0, 5).join('; ')}. ${DAMAGED}`,
      );
      return false;
    }
    const events = db.prepare('SELECT count(*) AS n FROM events').get() as { n: bigint };
    out(`event log   ${path}: quick_check ok (bundled SQLite ${version.v}), ${events.n} events`);
    const live = liveMessagesFrom(db);
    const onDisk = new Set(bodies);
    const missing = live
      .filter((m) =>
        isInlineRef(m.bodyRef)
          ? log.readBody(idForInlineRef(m.bodyRef)) === undefined
          : !onDisk.has(idForRef(m.bodyRef)),
      )
      .map((m) => m.id);
    if (missing.length > 0)
      problems.push(
        `${missing.length} live messages have no body in the spool (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}): restore spool/ from the same backup as the log, or mailtrail delete <id>`,
      );
    const known = db.prepare('SELECT 1 FROM messages WHERE id = ?');
    const now = Date.now();
    const unknown = bodies.filter(
      (id) => known.get(id) === undefined && !(running && now - mtimeOf(`${spool.bodiesDir}/${id}`) < IN_FLIGHT_MS),
    );
    if (unknown.length > 0)
      problems.push(
        `${unknown.length} spooled bodies belong to no message in the log (${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}): the log lost them. The daemon quarantines them at its next start; \`mailtrail requeue --from-spool\` (daemon stopped) queues them again now`,
      );
    out(
      `spool       ${spool.bodiesDir}: ${bodies.length} bodies, ${live.length} live messages; ${missing.length} live without a body, ${unknown.length} bodies without a message`,
    );
    return true;
  } catch (err) {
    problems.push(`the event log ${path} is damaged: ${(err as Error).message}. ${DAMAGED}`);
    return false;
  } finally {
    void log.close();
  }
}

/** `--bodies`: each live message's body against the size and sha256 its MessageReceived recorded. */
async function checkBodies(path: string, spoolRoot: string, out: (l: string) => void, problems: string[]) {
  const log = new SqliteEventLog(path, { readonly: true });
  try {
    const db = log.database;
    // Read only: the threshold (which a Spool needs above 0 to use the store) matters to store() alone.
    const inline: InlineBodyStore = { threshold: 1, read: (id) => log.readBody(id), remove: () => false };
    const spool = new Spool(spoolRoot, { inline });
    const received = db.prepare('SELECT data FROM events WHERE stream = ? AND revision = 0').pluck();
    const live = db.prepare('SELECT id FROM messages WHERE live = 1 ORDER BY id').pluck().all() as string[];
    const damaged: string[] = [];
    let read = 0;
    for (const id of live) {
      const json = received.get(messageStream(id)) as string | undefined;
      const r = json ? (JSON.parse(json) as { bodyRef?: string; size?: number; sha256?: string }) : {};
      if (!r.bodyRef || !r.sha256 || r.size === undefined) continue;
      const damage = await bodyDamageOf((ref, sha256) => spool.verify(ref, sha256), {
        bodyRef: r.bodyRef,
        size: r.size,
        sha256: r.sha256,
      });
      read += 1;
      // A missing body is the "live without a body" line's: only a present one that differs counts here.
      if (damage?.kind === 'damaged') damaged.push(id);
    }
    out(`bodies      ${read} live bodies read back: ${damaged.length} differ from what was received`);
    if (damaged.length > 0)
      problems.push(
        `${damaged.length} live messages have a body that differs from the one received (${damaged.slice(0, 5).join(', ')}${damaged.length > 5 ? ', …' : ''}): the queue holds them instead of delivering; restore the bodies from a backup, or bounce or delete them (docs/operations.md, "A damaged body")`,
      );
  } finally {
    void log.close();
  }
}

/** A body's mtime; one removed meanwhile (retention, a delivery) counts as just written. */
function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}
