/**
 * Policy spamassassin: asks spamd (spamdClient.ts) about the whole message and prepends
 * `X-Spam-Status: Yes|No, score=… required=… tests=…` (folded after commas, as SpamAssassin
 * does) and, on spam, `X-Spam-Flag: YES`. The verdict { spam, score, required, tests } is
 * stored with the message, so a replay never asks spamd again. A message over maxSize
 * (default 500 KiB, spamc's) passes unscanned: verdict { skipped }. spamd down or slow:
 * onError 'defer' (default) throws SpamdError, a TransientError the queue records as
 * PoliciesDeferred; 'pass' adds no header, records { skipped: reason } and logs a warning.
 */
import type { Logger } from 'pino';
import { InvariantError } from '../errors/mailtrailError.js';
import { silentLogger } from '../logging/logger.js';
import type { PolicyContext, PolicyEffect, PrequeuePolicy } from './policy.js';
import {
  SPAMD_DEFAULTS,
  SpamdError,
  spamdCheck,
  describeSpamdAddress,
  type SpamdAddress,
  type SpamdCommand,
  type SpamdResult,
} from './spamdClient.js';

/** spamc's default size limit (`-s`): 500 KiB. */
export const SPAMD_MAX_SIZE = 500 * 1024;

export interface SpamAssassinOptions {
  readonly host?: string;
  readonly port?: number;
  /** A unix socket path (spamd --socketpath); when given, host and port are not used. */
  readonly socket?: string;
  /** Milliseconds for the whole exchange with spamd; default 30 s. */
  readonly timeout?: number;
  /** spamd down, slow or failing: 'defer' the message (default) or 'pass' it untagged. */
  readonly onError?: 'defer' | 'pass';
  /** Larger messages pass unscanned, in bytes; default 500 KiB. */
  readonly maxSize?: number;
  /** SYMBOLS (default) also returns the names of the rules that hit; CHECK only the score. */
  readonly command?: SpamdCommand;
  /** The User header sent to spamd; default "mailtrail". */
  readonly user?: string;
  readonly logger?: Logger;
}

/** What is stored in PoliciesApplied.verdicts.spamassassin. */
export type SpamVerdict =
  | { readonly spam: boolean; readonly score: number; readonly required: number; readonly tests: readonly string[] }
  | { readonly skipped: string };

const FOLD_WIDTH = 78;

/**
 * `X-Spam-Status: Yes, score=15.0 required=5.0 tests=A,B,C`, broken with CRLF + TAB in
 * place of a space or after a comma of the tests list, lines of at most 78 characters.
 */
export function spamStatusHeader(result: SpamdResult): string {
  const tests = result.tests.length ? result.tests : ['none'];
  // Each piece with the separator before it; a fold replaces a ' ' and follows a ','.
  const pieces: [string, string][] = [
    ['', 'X-Spam-Status:'],
    [' ', `${result.spam ? 'Yes' : 'No'},`],
    [' ', `score=${result.score.toFixed(1)}`],
    [' ', `required=${result.required.toFixed(1)}`],
    ...tests.map((t, i): [string, string] => [
      i === 0 ? ' ' : '',
      `${i === 0 ? 'tests=' : ''}${t}${i < tests.length - 1 ? ',' : ''}`,
    ]),
  ];
  let out = '';
  let lineLength = 0;
  for (const [sep, text] of pieces) {
    if (out !== '' && lineLength + sep.length + text.length > FOLD_WIDTH) {
      out += `\r\n\t${text}`;
      lineLength = 1 + text.length;
    } else {
      out += sep + text;
      lineLength += sep.length + text.length;
    }
  }
  return out;
}

/** The headers a verdict adds: X-Spam-Flag (spam only) above X-Spam-Status. */
export function spamHeaders(result: SpamdResult): string[] {
  return [...(result.spam ? ['X-Spam-Flag: YES'] : []), spamStatusHeader(result)];
}

/** Reads `stream` whole unless it is longer than `max` bytes (then null; the stream is destroyed). */
export async function readMessageUpTo(stream: NodeJS.ReadableStream, max: number): Promise<Buffer[] | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > max) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return null;
    }
    chunks.push(buf);
  }
  return chunks;
}

export class SpamAssassin implements PrequeuePolicy {
  readonly name = 'spamassassin';
  readonly address: SpamdAddress;
  private readonly timeout: number;
  private readonly onError: 'defer' | 'pass';
  private readonly maxSize: number;
  private readonly command: SpamdCommand;
  private readonly user: string;
  private readonly logger: Logger;

  constructor(options: SpamAssassinOptions = {}) {
    this.address =
      options.socket !== undefined
        ? { socket: options.socket }
        : { host: options.host ?? SPAMD_DEFAULTS.host, port: options.port ?? SPAMD_DEFAULTS.port };
    this.timeout = options.timeout ?? SPAMD_DEFAULTS.timeout;
    this.onError = options.onError ?? 'defer';
    this.maxSize = options.maxSize ?? SPAMD_MAX_SIZE;
    this.command = options.command ?? 'SYMBOLS';
    this.user = options.user ?? 'mailtrail';
    this.logger = options.logger ?? silentLogger;
  }

  /** Asks spamd about `message` (whole, CRLF); rejects with SpamdError. */
  scan(message: readonly Buffer[]): Promise<SpamdResult> {
    return spamdCheck(this.address, message, { command: this.command, user: this.user, timeout: this.timeout });
  }

  async apply(ctx: PolicyContext): Promise<PolicyEffect> {
    if (!ctx.openMessage) throw new InvariantError('spamassassin: the queue gave the policy no openMessage()');
    const log = this.logger.child({ messageId: ctx.message.id, policy: this.name });
    const tooLarge = (size: number): PolicyEffect => {
      log.info({ size, maxSize: this.maxSize }, 'message not scanned: larger than maxSize');
      return { verdicts: { skipped: `larger than maxSize (${size} > ${this.maxSize} bytes)` } };
    };
    if (ctx.message.size > this.maxSize) return tooLarge(ctx.message.size);
    let result: SpamdResult;
    try {
      const message = await readMessageUpTo(ctx.openMessage(), this.maxSize);
      if (message === null) return tooLarge(ctx.message.size);
      result = await this.scan(message);
    } catch (err) {
      if (!(err instanceof SpamdError) || this.onError === 'defer') throw err;
      log.warn(
        { spamd: describeSpamdAddress(this.address), err: err.message },
        'message passed unscanned: spamd failed',
      );
      return { verdicts: { skipped: err.message } };
    }
    log.info(
      { spam: result.spam, score: result.score, required: result.required },
      `spam=${result.spam} score=${result.score}`,
    );
    const verdict: SpamVerdict = {
      spam: result.spam,
      score: result.score,
      required: result.required,
      tests: [...result.tests],
    };
    return { prependHeaders: spamHeaders(result), verdicts: verdict };
  }
}
