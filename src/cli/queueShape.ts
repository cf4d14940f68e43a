/**
 * `mailtrail queue --summary`: how many messages are in each state (the whole `messages`
 * projection, live states first), and Postfix `qshape`'s table for the live ones: rows by
 * destination domain (of the recipients still pending), columns by age since received
 * (0-5m, 5-10m, 10-20m, 20-40m, 40-80m, 80-160m, 160m+). A message with pending recipients at
 * two domains counts in both rows; TOTAL counts it once. Pure formatting plus one GROUP BY.
 */
import type Database from 'better-sqlite3';
import { type MessageSummary, isFinalState } from '../readmodel/messageSummary.js';
import { domainOf } from '../mail/address.js';

/** Upper bounds of the age buckets, in minutes; the last bucket is everything older. */
export const AGE_BOUNDS_MINUTES: readonly number[] = [5, 10, 20, 40, 80, 160];
export const AGE_LABELS: readonly string[] = ['0-5m', '5-10m', '10-20m', '20-40m', '40-80m', '80-160m', '160m+'];

export interface ShapeRow {
  readonly domain: string;
  readonly total: number;
  /** One count per AGE_LABELS entry. */
  readonly counts: readonly number[];
}

export interface QueueShape {
  readonly byState: ReadonlyArray<readonly [string, number]>;
  readonly total: ShapeRow;
  readonly domains: readonly ShapeRow[];
}

export function ageBucket(ageMs: number): number {
  const minutes = ageMs / 60_000;
  const i = AGE_BOUNDS_MINUTES.findIndex((bound) => minutes < bound);
  return i < 0 ? AGE_BOUNDS_MINUTES.length : i;
}

/** Messages per state from the `messages` table (every message, final ones too). */
export function stateCounts(db: Database.Database): Array<[string, number]> {
  const rows = db.prepare('SELECT state, count(*) AS n FROM messages GROUP BY state').all() as {
    state: string;
    n: bigint | number;
  }[];
  return rows.map((r): [string, number] => [r.state, Number(r.n)]);
}

export function queueShape(
  live: readonly MessageSummary[],
  byState: ReadonlyArray<readonly [string, number]>,
  now: number,
): QueueShape {
  const empty = (): number[] => AGE_LABELS.map(() => 0);
  const total = empty();
  const perDomain = new Map<string, number[]>();
  for (const m of live) {
    const bucket = ageBucket(now - Date.parse(m.receivedAt));
    total[bucket]! += 1;
    const pending = m.recipients.filter((r) => r.status === 'pending');
    for (const domain of new Set(pending.map((r) => domainOf(r.address) || '(none)'))) {
      const counts = perDomain.get(domain) ?? empty();
      counts[bucket]! += 1;
      perDomain.set(domain, counts);
    }
  }
  const sum = (c: readonly number[]): number => c.reduce((a, b) => a + b, 0);
  const domains = [...perDomain]
    .map(([domain, counts]) => ({ domain, total: sum(counts), counts }))
    .sort((a, b) => b.total - a.total || a.domain.localeCompare(b.domain));
  const states = [...byState].sort(
    (a, b) => Number(isFinalState(a[0])) - Number(isFinalState(b[0])) || b[1] - a[1] || a[0].localeCompare(b[0]),
  );
  return { byState: states, total: { domain: 'TOTAL', total: sum(total), counts: total }, domains };
}

export function formatShape(shape: QueueShape): string {
  const out: string[] = ['messages by state:'];
  if (shape.byState.length === 0) out.push('  (none)');
  const stateWidth = Math.max(0, ...shape.byState.map(([s]) => s.length));
  for (const [state, n] of shape.byState)
    out.push(`  ${state.padEnd(stateWidth)}  ${String(n).padStart(6)}${isFinalState(state) ? '' : '  live'}`);
  out.push('', 'live messages by destination domain and age:');
  const rows = [shape.total, ...shape.domains];
  const header = ['T', ...AGE_LABELS];
  const cells = rows.map((r) => [String(r.total), ...r.counts.map(String)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const domainWidth = Math.max(...rows.map((r) => r.domain.length));
  const fmt = (first: string, values: readonly string[]): string =>
    `  ${first.padStart(domainWidth)}  ${values.map((v, i) => v.padStart(widths[i]!)).join(' ')}`;
  out.push(fmt('', header));
  for (const [i, r] of rows.entries()) out.push(fmt(r.domain, cells[i]!));
  return `${out.join('\n')}\n`;
}

export const shapeJson = (shape: QueueShape): Record<string, unknown> => ({
  byState: Object.fromEntries(shape.byState),
  ageBuckets: AGE_LABELS,
  total: { total: shape.total.total, counts: shape.total.counts },
  domains: shape.domains.map((d) => ({ domain: d.domain, total: d.total, counts: d.counts })),
});
