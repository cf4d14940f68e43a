/**
 * Durations in the configuration: `250ms`, `30s`, `5m`, `1h`, `5d`, compounds such as
 * `1h30m`, or a plain number of milliseconds.
 * parseDuration returns milliseconds (an integer) or undefined when the input is not a
 * duration; durationSchema is the zod form, failing with DURATION_EXPECTED as its message.
 */
import { z } from 'zod';

export const DURATION_EXPECTED = 'expected a duration like 250ms, 30s, 5m, 1h, 5d or a number of milliseconds';

const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const whole = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Milliseconds for a duration, or undefined when `value` is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return parseDuration(Number(text));
  if (!whole.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(part)) ms += Number(amount) * unitMs[unit!]!;
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : undefined;
}

/** A duration as written in the file, parsed to milliseconds. */
export const durationSchema = z
  .union([z.string(), z.number()], { error: DURATION_EXPECTED })
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.issues.push({ code: 'custom', message: DURATION_EXPECTED, input: value });
      return z.NEVER;
    }
    return ms;
  });
