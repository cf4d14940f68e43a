/**
 * A client for spamd's protocol (SPAMC/1.5, as spamc speaks it): one request per connection,
 * `SYMBOLS` or `CHECK` with Content-length and User headers, the message, a half-close; the
 * reply is `SPAMD/1.x 0 EX_OK`, headers (`Spam: True ; 15.0 / 5.0`) and, for SYMBOLS, the
 * names of the rules that hit. TCP (host, port) or a unix socket. Every failure — refused,
 * timed out, a non-zero reply code, a reply it cannot parse — rejects with SpamdError, a
 * TransientError (4.3.0): spamd being down says nothing about the message.
 */
import { connect, type Socket } from 'node:net';
import { TransientError } from '../errors/mailtrailError.js';

export type SpamdAddress = { readonly host?: string; readonly port?: number } | { readonly socket: string };
export type SpamdCommand = 'SYMBOLS' | 'CHECK';

/** Where and how long the SpamAssassin policy asks spamd by default; the config schema takes these too. */
export const SPAMD_DEFAULTS = { host: '127.0.0.1', port: 783, timeout: 30_000 } as const;
export const SPAMD_DEFAULT_HOST = SPAMD_DEFAULTS.host;
export const SPAMD_DEFAULT_PORT = SPAMD_DEFAULTS.port;
/** The largest reply read (SYMBOLS and CHECK replies are a few hundred bytes). */
const MAX_REPLY = 64 * 1024;

export interface SpamdRequestOptions {
  readonly command?: SpamdCommand;
  /** The User header: whose preferences spamd applies (ignored with --nouser-config). */
  readonly user?: string;
  /** Milliseconds for the whole exchange, connect included. */
  readonly timeout?: number;
}

export interface SpamdResult {
  readonly spam: boolean;
  readonly score: number;
  readonly required: number;
  /** Rule names that hit (SYMBOLS); empty for CHECK. */
  readonly tests: readonly string[];
}

export interface SpamdReply {
  readonly version: string;
  readonly code: number;
  readonly message: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** spamd could not give a verdict: down, too slow, or it replied with an error. */
export class SpamdError extends TransientError {
  constructor(message: string, cause?: unknown) {
    super(`spamd: ${message}`, '4.3.0', 451, cause, 'ERR_SPAMD');
  }
}

export function describeSpamdAddress(address: SpamdAddress): string {
  return 'socket' in address
    ? `unix:${address.socket}`
    : `${address.host ?? SPAMD_DEFAULT_HOST}:${address.port ?? SPAMD_DEFAULT_PORT}`;
}

/** Sends one request (`lines` are its header lines) followed by `body`; resolves with the raw reply. */
export function spamdExchange(
  address: SpamdAddress,
  lines: readonly string[],
  body: readonly Buffer[],
  timeout: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const where = describeSpamdAddress(address);
    const socket: Socket =
      'socket' in address
        ? connect(address.socket)
        : connect({ host: address.host ?? SPAMD_DEFAULT_HOST, port: address.port ?? SPAMD_DEFAULT_PORT });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err instanceof SpamdError ? err : new SpamdError(`${where}: ${err.message}`, err));
      else resolve(Buffer.concat(chunks, size));
    };
    const timer = setTimeout(() => finish(new SpamdError(`${where}: no reply within ${timeout} ms`)), timeout);
    socket.on('connect', () => {
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      for (const chunk of body) socket.write(chunk);
      socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REPLY) return finish(new SpamdError(`${where}: reply longer than ${MAX_REPLY} bytes`));
      chunks.push(chunk);
    });
    socket.on('end', () => finish(undefined));
    socket.on('error', (err) => finish(err));
  });
}

/** Splits a raw reply into its status line, headers and body; throws SpamdError when it is not one. */
export function parseSpamdReply(raw: Buffer): SpamdReply {
  if (raw.length === 0) throw new SpamdError('closed the connection without a reply');
  const text = raw.toString('latin1');
  const status = /^SPAMD\/(\d+\.\d+) +(\d+) +([^\r\n]*)\r?\n/.exec(text);
  if (!status) throw new SpamdError(`not a spamd reply: ${JSON.stringify(text.slice(0, 80))}`);
  const rest = text.slice(status[0].length);
  const blank = /\r?\n\r?\n|^\r?\n/.exec(rest);
  const headerText = blank ? rest.slice(0, blank.index) : rest;
  const headers = new Map<string, string>();
  for (const line of headerText.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return {
    version: status[1]!,
    code: Number(status[2]),
    message: status[3]!.trim(),
    headers,
    body: blank ? rest.slice(blank.index + blank[0].length) : '',
  };
}

/** The verdict in a CHECK or SYMBOLS reply. */
export function parseSpamdResult(reply: SpamdReply): SpamdResult {
  if (reply.code !== 0) throw new SpamdError(`replied ${reply.code} ${reply.message}`);
  const spamHeader = reply.headers.get('spam');
  const m = spamHeader && /^(True|False|Yes|No)\s*;\s*(-?\d+(?:\.\d+)?)\s*\/\s*(-?\d+(?:\.\d+)?)$/i.exec(spamHeader);
  if (!m) throw new SpamdError(`reply without a valid Spam header: ${JSON.stringify(spamHeader ?? null)}`);
  return {
    spam: /^(true|yes)$/i.test(m[1]!),
    score: Number(m[2]),
    required: Number(m[3]),
    tests: reply.body.split(/[\s,]+/).filter((t) => /^[A-Za-z0-9_.:-]+$/.test(t)),
  };
}

/** Asks spamd for a verdict on `message` (the whole message, CRLF). */
export async function spamdCheck(
  address: SpamdAddress,
  message: readonly Buffer[],
  opts: SpamdRequestOptions = {},
): Promise<SpamdResult> {
  const length = message.reduce((n, b) => n + b.length, 0);
  const lines = [`${opts.command ?? 'SYMBOLS'} SPAMC/1.5`, `Content-length: ${length}`];
  if (opts.user) lines.push(`User: ${opts.user.replace(/[\r\n]/g, '')}`);
  const raw = await spamdExchange(address, lines, message, opts.timeout ?? 30_000);
  return parseSpamdResult(parseSpamdReply(raw));
}

/** PING: resolves when spamd answers PONG (start-up checks, tests). */
export async function pingSpamd(address: SpamdAddress, timeout = 5_000): Promise<void> {
  const reply = parseSpamdReply(await spamdExchange(address, ['PING SPAMC/1.5'], [], timeout));
  if (reply.code !== 0 || reply.message !== 'PONG')
    throw new SpamdError(`PING answered ${reply.code} ${reply.message}`);
}
