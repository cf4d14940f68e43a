/**
 * RFC 5322 §3.3 date-time text for header fields (Date:, Received:, Arrival-Date:):
 * `Tue, 05 Mar 2024 09:08:07 +0000`. Always UTC with a numeric zone (never the obsolete
 * "GMT"), two-digit day, so the same instant always gives the same text, whatever the
 * host's time zone. Throws InvariantError for an invalid Date.
 */
import { InvariantError } from '../errors/mailtrailError.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const two = (n: number) => String(n).padStart(2, '0');

export function formatRfc5322Date(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new InvariantError('formatRfc5322Date: invalid Date');
  const day = DAYS[date.getUTCDay()]!;
  const month = MONTHS[date.getUTCMonth()]!;
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${day}, ${two(date.getUTCDate())} ${month} ${date.getUTCFullYear()} ${time} +0000`;
}
