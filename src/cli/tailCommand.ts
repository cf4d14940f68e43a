/**
 * `mailtrail tail [-f] [--json] [-n N|all] [--message ID] [--session ID] [--from A] [--to A]
 * [--type T]`: the last N events of the log (10 by default) that pass the filters, one line
 * each (eventLine.ts); with --follow it then keeps printing new ones as the daemon appends
 * them (a read-only subscription that polls), until SIGINT/SIGTERM or a closed stdout (EPIPE),
 * which end it cleanly with exit 0. Reads the sqlite log read-only: safe while the daemon runs.
 */
import { parseArgs } from 'node:util';
import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../eventlog/eventLog.js';
import type { SqliteEventLog } from '../eventlog/sqlite/sqliteEventLog.js';
import { parseAddressPattern } from '../readmodel/messageSearch.js';
import { eventJson, eventLine } from './eventLine.js';
import { checkValues, eventTypes } from './knownValues.js';
import { commonOptions, configFrom, openLogReadonly, UsageError } from './openLog.js';
import { TailFilter, type TailCriteria } from './tailFilter.js';

const USAGE =
  'usage: mailtrail tail [--follow] [--json] [-n N|all] [--message ID] [--session ID] [--from ADDR] [--to ADDR] [--type T[,T]] [--config FILE]';

export const options = {
  ...commonOptions,
  follow: { type: 'boolean', short: 'f' },
  lines: { type: 'string', short: 'n' },
  message: { type: 'string' },
  session: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  type: { type: 'string', multiple: true },
} as const;

function linesOf(text: string | undefined): number {
  if (text === undefined) return 10;
  if (text === 'all') return Infinity;
  if (!/^\d+$/.test(text)) throw new UsageError(`-n takes a number or "all", not "${text}"\n${USAGE}`);
  return Number(text);
}

/** The position to start reading at so that `n` passing events come before the end. */
export function startPosition(db: Database.Database, filter: TailFilter, n: number): bigint {
  const end = (db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck().get() as bigint) + 1n;
  if (n === Infinity) return 0n;
  if (n === 0) return end;
  const streams = filter.streams();
  const only = streams ? ` AND stream IN (${streams.map(() => '?').join(', ')})` : '';
  const page = db.prepare(
    `SELECT position, stream, type FROM events WHERE position < ?${only} ORDER BY position DESC LIMIT 1000`,
  );
  let before = end;
  let found = 0;
  for (;;) {
    const rows = page.all(before, ...(streams ?? [])) as { position: bigint; stream: string; type: string }[];
    for (const row of rows) {
      if (filter.passes(row.stream, row.type) && ++found === n) return row.position;
    }
    if (rows.length < 1000) return 0n;
    before = rows[rows.length - 1]!.position;
  }
}

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(USAGE);
  const criteria: TailCriteria = {
    ...(values.message ? { message: values.message } : {}),
    ...(values.session ? { session: values.session } : {}),
    ...(values.from !== undefined ? { from: parseAddressPattern(values.from) } : {}),
    ...(values.to !== undefined ? { to: parseAddressPattern(values.to) } : {}),
    ...(values.type
      ? {
          types: checkValues(
            '--type',
            values.type
              .flatMap((t) => t.split(','))
              .map((t) => t.trim())
              .filter(Boolean),
            eventTypes(),
          ),
        }
      : {}),
  };
  const lines = linesOf(values.lines);
  const log = await openLogReadonly(await configFrom(values));
  try {
    const filter = TailFilter.load(log.database, criteria);
    const from = startPosition(log.database, filter, lines);
    const print = (e: RecordedEvent): void => {
      if (filter.accept(e)) process.stdout.write(`${values.json ? eventJson(e) : eventLine(e)}\n`);
    };
    const types = filter.readTypes();
    const filterOption = types ? { filter: { types } } : {};
    if (!values.follow) {
      for await (const e of log.readAll({ fromPosition: from, ...filterOption })) print(e);
      return 0;
    }
    await follow(log, from, filterOption, print);
    return 0;
  } finally {
    await log.close();
  }
}

/** Prints as events arrive until a signal or a closed stdout ends the subscription. */
async function follow(
  log: SqliteEventLog,
  fromPosition: bigint,
  filterOption: { filter?: { types: string[] } },
  print: (e: RecordedEvent) => void,
): Promise<void> {
  const sub = log.subscribe({ fromPosition, ...filterOption });
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(130); // a second Ctrl-C: do not wait any longer
    stopping = true;
    void sub.close();
  };
  const onOutputError = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') throw err;
    stopping = true;
    void sub.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.on('error', onOutputError);
  try {
    for await (const e of sub) {
      if (stopping) break;
      print(e);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.stdout.off('error', onOutputError);
    await sub.close();
  }
}
