/**
 * `npm run bench -- compare [--n N] [--warm W] [--variants a,b] [--write] [--no-postfix] [--floor] [--writer loop]`:
 * mailtrail against Postfix under the same load, one variant after the other (issue 11's
 * table). Each variant runs Postfix (set up by ../shared/peers/postfix-bench.sh) and then the
 * mailtrail daemon under `smtp-source [-d] -s 20 -m N -l 2048` plus a latency probe (see
 * bench/compare/probe.ts and sides.ts for what is measured and how), and prints a Markdown
 * table: msg/s accepted and delivered, the ratio to Postfix, CPU ms per message of all the
 * processes of each side, the p50/p99 time from the end of DATA to its reply, and the load
 * average when the run began. Each side first takes W messages of the same load (default 2000,
 * delivered before the measured run starts, not counted): the figures are those of a running
 * server, not of its first seconds; --warm 0 measures from a cold start. --write appends the table with date, machine and mailtrail's
 * configuration to docs/performance.md. --floor adds, for the Maildir and accept-only variants,
 * a row for the floor program (bench/compare/floor.ts: a durable MDA in Node with no history)
 * under the same load, with its own ratio: what this machine allows at all. Needs root
 * (Postfix), smtp-source and ss.
 * Environment: BENCH_N (default 3000), BENCH_WARM (2000), BENCH_S (20), BENCH_L (2048), BENCH_PROBE_SESSIONS (1).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_INLINE_THRESHOLD } from '../src/spool/inlineBodies.js';
import {
  runFloor,
  runMailtrail,
  runPostfix,
  type FloorMode,
  type Load,
  type MailtrailRelay,
  type PostfixVariant,
  type SideResult,
} from './compare/sides.js';

interface Variant {
  readonly key: string;
  readonly label: string;
  readonly reuse: boolean;
  readonly mailtrail: MailtrailRelay;
  readonly postfix: PostfixVariant;
  /** The rate the ratio compares: end to end, or acceptance for the accept-only variant. */
  readonly ratioOf: 'delivered' | 'accepted';
  /** The issue's target ratio. */
  readonly target: number;
  /** The floor program's mode for this variant (--floor), if it has one. */
  readonly floor?: FloorMode;
}

export const VARIANTS: readonly Variant[] = [
  {
    key: 'maildir-reuse',
    label: 'Maildir, connections reused (-d)',
    reuse: true,
    mailtrail: 'maildir',
    postfix: 'maildir',
    ratioOf: 'delivered',
    target: 3,
    floor: 'maildir',
  },
  {
    key: 'maildir-conn',
    label: 'Maildir, one message per connection',
    reuse: false,
    mailtrail: 'maildir',
    postfix: 'maildir',
    ratioOf: 'delivered',
    target: 1.5,
    floor: 'maildir',
  },
  {
    key: 'accept',
    label: 'accept only (-d): blackhole / discard',
    reuse: true,
    mailtrail: 'blackhole',
    postfix: 'discard',
    ratioOf: 'accepted',
    target: 4,
    floor: 'accept',
  },
  {
    key: 'maildrop',
    label: 'through maildrop (-d): relay maildrop / pipe→maildrop',
    reuse: true,
    mailtrail: 'maildrop',
    postfix: 'maildrop',
    ratioOf: 'delivered',
    target: 1,
  },
];

export interface CompareOptions {
  n: number;
  /** Messages each side takes before the measured run (see Load.warm). */
  warm: number;
  variants: readonly string[];
  postfix: boolean;
  /** Also run the floor program (bench/compare/floor.ts) for the variants that have one. */
  floor: boolean;
  write: boolean;
  writer: 'loop' | 'thread';
  /** Extra YAML for mailtrail's configuration (printed with the table). */
  extraConfig: string;
}

function parseArgs(argv: readonly string[]): CompareOptions {
  const value = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const writer = value('--writer') ?? process.env.BENCH_WRITER ?? 'thread';
  if (writer !== 'loop' && writer !== 'thread') throw new Error(`--writer: expected loop or thread, got ${writer}`);
  const variants = (value('--variants') ?? VARIANTS.map((v) => v.key).join(',')).split(',');
  for (const v of variants)
    if (!VARIANTS.some((x) => x.key === v))
      throw new Error(`--variants: unknown variant ${v} (known: ${VARIANTS.map((x) => x.key).join(', ')})`);
  const warm = Number(value('--warm') ?? process.env.BENCH_WARM ?? 2000);
  if (!Number.isInteger(warm) || warm < 0) throw new Error(`--warm: expected a whole number of messages, got ${warm}`);
  return {
    n: Number(value('--n') ?? process.env.BENCH_N ?? 3000),
    warm,
    variants,
    postfix: !argv.includes('--no-postfix'),
    floor: argv.includes('--floor'),
    write: argv.includes('--write'),
    writer,
    extraConfig: value('--config') ?? process.env.BENCH_MAILTRAIL_CONFIG ?? '',
  };
}

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const fmt = (x: number | undefined, digits = 0): string =>
  x === undefined || !Number.isFinite(x)
    ? '—'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function cells(system: string, r: SideResult): { accepted: number; delivered: number; row: string[] } {
  const accepted = r.messages / r.acceptS;
  const delivered = r.messages / r.drainS;
  return {
    accepted,
    delivered,
    row: [
      system,
      fmt(accepted),
      fmt(delivered),
      '',
      r.cpuMs === undefined ? '—' : fmt(r.cpuMs / r.messages, 2),
      `${fmt(percentile(r.latenciesMs, 50), 1)} / ${fmt(percentile(r.latenciesMs, 99), 1)} (${r.latenciesMs.length})`,
      fmt(r.load1, 2),
    ],
  };
}

/** The floor's row names its delivery concurrency (FLOOR_CONCURRENCY, default 20) for Maildir. */
const floorLabel = (mode: FloorMode): string =>
  mode === 'maildir' ? `maildir, ${process.env.FLOOR_CONCURRENCY ?? 20} at a time` : mode;

export function machine(): string {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} CPUs (${model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function configuration(opts: CompareOptions): string {
  return [
    'sqlite log WAL synchronous=FULL',
    `writer ${opts.writer}`,
    `body inline threshold ${/inlineThreshold:\s*([^\s,}]+)/.exec(opts.extraConfig)?.[1] ?? `${DEFAULT_INLINE_THRESHOLD} (default)`} bytes`,
    'workers 1',
    'greetDelay 0',
    'no reverse DNS lookup (Postfix: smtpd_peername_lookup=no)',
    'default header policies',
    'log level info (to /dev/null)',
    ...(opts.extraConfig ? [`extra config \`${opts.extraConfig.replace(/\n/g, ' ')}\``] : []),
  ].join(', ');
}

export async function compare(opts: CompareOptions): Promise<string> {
  const script = join(import.meta.dirname, '..', '..', 'shared', 'peers', 'postfix-bench.sh');
  const base: Omit<Load, 'reuse'> = {
    n: opts.n,
    warm: opts.warm,
    sessions: Number(process.env.BENCH_S ?? 20),
    bytes: Number(process.env.BENCH_L ?? 2048),
    probeSessions: Number(process.env.BENCH_PROBE_SESSIONS ?? 1),
  };
  const header = [
    'load',
    'system',
    'accepted msg/s',
    'delivered msg/s',
    'ratio to Postfix (target)',
    'CPU ms/msg',
    'p50 / p99 end of DATA→250 ms (samples)',
    'load avg',
  ];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const key of opts.variants) {
    const v = VARIANTS.find((x) => x.key === key)!;
    const load: Load = { ...base, reuse: v.reuse };
    console.error(`compare: ${v.label}…`);
    const postfix = opts.postfix ? cells(`Postfix ${v.postfix}`, await runPostfix(v.postfix, load, script)) : undefined;
    const mt = cells(
      `mailtrail ${v.mailtrail}`,
      await runMailtrail(v.mailtrail, load, { writer: opts.writer, extraConfig: opts.extraConfig }),
    );
    const floor =
      opts.floor && v.floor
        ? cells(`floor (no history) ${floorLabel(v.floor)}`, await runFloor(v.floor, load))
        : undefined;
    for (const side of floor ? [mt, floor] : [mt]) {
      if (postfix) {
        const ratio = v.ratioOf === 'accepted' ? side.accepted / postfix.accepted : side.delivered / postfix.delivered;
        side.row[3] = `**${fmt(ratio, 2)}** of ${v.ratioOf} (≥ ${v.target})`;
      } else {
        side.row[3] = '— (no Postfix run)';
      }
    }
    if (postfix) lines.push(`| ${v.label} | ${postfix.row.join(' | ')} |`);
    lines.push(`| ${v.label} | ${mt.row.join(' | ')} |`);
    if (floor) lines.push(`| ${v.label} | ${floor.row.join(' | ')} |`);
  }
  return lines.join('\n');
}

export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const opts = parseArgs(argv);
  const load = `smtp-source -s ${process.env.BENCH_S ?? 20} -m ${opts.n} -l ${process.env.BENCH_L ?? 2048}`;
  const table = await compare(opts);
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const text = [
    `${load} on loopback${opts.warm > 0 ? ` after ${opts.warm} messages of the same load on each side (not counted)` : ' from a cold start'}, plus ${process.env.BENCH_PROBE_SESSIONS ?? 1} probe session(s) timing end of DATA→reply; ${when}; ${machine()}.`,
    `mailtrail: ${configuration(opts)}.`,
    '',
    table,
  ].join('\n');
  console.log(text);
  if (opts.write) {
    const doc = join(import.meta.dirname, '..', 'docs', 'performance.md');
    const tail = readFileSync(doc, 'utf8').endsWith('\n') ? '' : '\n';
    appendFileSync(doc, `${tail}\n#### \`npm run bench -- compare\`, ${when}\n\n${text}\n`);
    console.error(`compare: appended to ${doc}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
