/**
 * Queue ids, as Postfix's long queue ids: time-ordered and unique, upper-case letters and
 * digits only, so they are safe as spool file names and stream suffixes. A DSN's id is its
 * parent's id with a fixed suffix, so re-running a bounce after a crash finds the same stream.
 */
import { randomBytes } from 'node:crypto';

let last = '';
let counter = 0;

export function newQueueId(now: number = Date.now()): string {
  const time = now.toString(36).toUpperCase().padStart(9, '0');
  counter = time === last ? counter + 1 : 0;
  last = time;
  return `${time}${counter.toString(36).toUpperCase().padStart(2, '0')}${randomBytes(4).toString('hex').toUpperCase()}`;
}

export const dsnIdFor = (parentId: string): string => `${parentId}.DSN`;

/** The n-th (from 1) child of a split. */
export const splitIdFor = (parentId: string, n: number): string => `${parentId}.S${n}`;

export const QUEUE_ID_PATTERN = /^[A-Z0-9][A-Z0-9.]{0,63}$/;
