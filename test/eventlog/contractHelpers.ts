/**
 * Helpers of the event-log contract suite (eventLog.contract.ts): unique stream prefixes,
 * sample events, draining an async iterable, taking N events from a subscription with a
 * deadline, waiting briefly for one more, and checking that positions strictly increase.
 * Used only by tests; nothing here knows about a particular adapter.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { EventData, RecordedEvent, Subscription } from '../../src/eventlog/eventLog.js';

const LIVE_TIMEOUT_MS = 5000;

export function uniquePrefix(): string {
  return `ct${randomUUID().replace(/-/g, '').slice(0, 12)}-`;
}

export function ev(type: string, n: number, extra: Record<string, unknown> = {}): EventData {
  return { type, data: { n, ...extra }, metadata: { schema: 1 } };
}

export async function toArray<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Reads `count` events from the subscription; fails after `timeoutMs`. The caller closes it. */
export async function take(sub: Subscription, count: number, timeoutMs = LIVE_TIMEOUT_MS): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  const iterator = sub[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`subscription: got ${out.length}/${count} events in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    while (out.length < count) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) throw new Error(`subscription ended after ${out.length}/${count} events`);
      out.push(next.value);
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with the next event, or undefined if none arrives within `ms`. */
export async function nextWithin(sub: Subscription, ms: number): Promise<RecordedEvent | undefined> {
  const iterator = sub[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    const next = await Promise.race([iterator.next(), idle]);
    return next && !next.done ? next.value : undefined;
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function assertStrictlyIncreasing(positions: bigint[]): void {
  for (let i = 1; i < positions.length; i++) {
    assert.ok(positions[i]! > positions[i - 1]!, `position ${positions[i]} after ${positions[i - 1]}`);
  }
}
