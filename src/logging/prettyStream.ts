/**
 * `log: { pretty: true }`: pino's JSON lines rewritten for a human, without pino-pretty. Each
 * line is `<time> <LEVEL> <queue id or session id>: <msg> key=value…`, Postfix style: the
 * message's id first. Fields the message text already shows (`to=`, `relay=`…) and the constant
 * ones (`service`) are left out; an `err` prints its message and code, its stack indented below.
 * A line that is not JSON passes through unchanged. Writes go to pino's own async destination.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'messageId', 'sessionId', 'err']);

const show = (value: unknown): string => {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
};

/** One pino JSON line → one human line (plus an error's stack lines). */
export function formatLogLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = LEVELS[rec.level as number] ?? String(rec.level);
  const msg = typeof rec.msg === 'string' ? rec.msg : '';
  const id = [rec.messageId, rec.sessionId].filter((v) => typeof v === 'string').join(' ');
  const fields = Object.entries(rec)
    .filter(
      ([key]) => !SKIP.has(key) && !new RegExp(`(^|[\\s,(])${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=`).test(msg),
    )
    .map(([key, value]) => `${key}=${show(value)}`);
  const err = rec.err as { message?: string; code?: string; stack?: string } | string | undefined;
  if (typeof err === 'string') fields.push(`err=${show(err)}`);
  else if (err) fields.push(`err=${show(err.message ?? '')}${err.code ? ` (${err.code})` : ''}`);
  const head = `${String(rec.time ?? '')} ${level.padEnd(5)} ${id ? `${id}: ` : ''}${msg}${fields.length ? ` ${fields.join(' ')}` : ''}`;
  const stack =
    typeof err === 'object' && err.stack
      ? `\n${err.stack
          .split('\n')
          .slice(1)
          .map((l) => `    ${l.trim()}`)
          .join('\n')}`
      : '';
  return `${head}${stack}\n`;
}

/** A pino destination that formats each line before handing it to `inner`. */
export function prettyStream(
  inner: DestinationStream & { flush?: (cb?: (err?: Error) => void) => void; flushSync?: () => void },
): DestinationStream & { flush(cb?: (err?: Error) => void): void; flushSync(): void } {
  return {
    write(chunk: string) {
      inner.write(formatLogLine(chunk));
    },
    flush(cb?: (err?: Error) => void) {
      if (inner.flush) inner.flush(cb);
      else cb?.();
    },
    flushSync() {
      inner.flushSync?.();
    },
  };
}
