/**
 * Listen addresses for the SMTP edge: `host:port`, `[v6addr]:port`, or a bare port
 * (a number or a string of digits), which binds every IPv4 interface (0.0.0.0).
 * parseListenAddress returns `{ host, port }` or a string saying what was expected;
 * listenSchema accepts one address or a list and always yields a list.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { ListenAddress } from '../edge/listenAddress.js';

export type { ListenAddress } from '../edge/listenAddress.js';

export const LISTEN_EXPECTED = 'expected "host:port", "[ipv6]:port" or a port number';
export const ANY_HOST = '0.0.0.0';

function parsePort(text: string | number): number | undefined {
  const port = typeof text === 'number' ? text : /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
}

/** `{ host, port }` for one listen address, or the reason it is not one. */
export function parseListenAddress(value: string | number): ListenAddress | string {
  if (typeof value === 'number' || /^\d+$/.test(value.trim())) {
    const port = parsePort(typeof value === 'number' ? value : value.trim());
    return port === undefined ? 'expected a port between 0 and 65535' : { host: ANY_HOST, port };
  }
  const text = value.trim();
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:[\]\s]+):(\d+)$/.exec(text);
  const match = v6 ?? plain;
  if (!match) {
    return isIP(text) === 6
      ? `${LISTEN_EXPECTED} (write IPv6 addresses in brackets, as in "[::1]:25")`
      : LISTEN_EXPECTED;
  }
  const host = match[1]!;
  if (v6 && isIP(host) !== 6) return `expected an IPv6 address inside the brackets, got "${host}"`;
  const port = parsePort(match[2]!);
  if (port === undefined) return 'expected a port between 0 and 65535';
  return { host, port };
}

const addressInput = z.union([z.string(), z.number()], { error: LISTEN_EXPECTED });

/** One listen address or a non-empty list of them, always yielding a list. */
export const listenSchema = z
  .union([addressInput, z.array(addressInput)], { error: `${LISTEN_EXPECTED}, or a list of them` })
  .transform((value, ctx): ListenAddress[] => {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0)
      ctx.issues.push({ code: 'custom', message: 'expected at least one listen address', input: value });
    const addresses = list.map((item, index) => {
      const parsed = parseListenAddress(item);
      if (typeof parsed !== 'string') return parsed;
      ctx.issues.push({ code: 'custom', message: parsed, input: item, path: Array.isArray(value) ? [index] : [] });
      return undefined;
    });
    return addresses.every((a) => a !== undefined) && list.length > 0 ? addresses : z.NEVER;
  });
