/**
 * Queue ids, as Postfix's long queue ids: time-ordered and unique, upper-case letters and
 * digits only, so they are safe as spool file names and stream suffixes. A DSN's id is its
 * parent's id with a fixed suffix, so re-running a bounce after a crash finds the same stream.
 */
import { randomBytes } from 'node:crypto';

let last = '';
let counter = 0;
/** Random bytes drawn 4 KiB at a time: one call into the CSPRNG per 1,024 ids, not one per id. */
let pool = Buffer.alloc(0);
let offset = 0;

function fourRandomBytes(): string {
  if (offset + 4 > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  offset += 4;
  return pool.toString('hex', offset - 4, offset).toUpperCase();
}

export function newQueueId(now: number = Date.now()): string {
  const time = now.toString(36).toUpperCase().padStart(9, '0');
  counter = time === last ? counter + 1 : 0;
  last = time;
  return `${time}${counter.toString(36).toUpperCase().padStart(2, '0')}${fourRandomBytes()}`;
}

export const dsnIdFor = (parentId: string): string => `${parentId}.DSN`;

/** The n-th (from 1) child of a split. */
export const splitIdFor = (parentId: string, n: number): string => `${parentId}.S${n}`;

export const QUEUE_ID_PATTERN = /^[A-Z0-9][A-Z0-9.]{0,63}$/;
