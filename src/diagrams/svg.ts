/**
 * SVG from DOT text by running Graphviz: `dot -Tsvg` with argv (no shell), the DOT on stdin.
 * Fails with GraphvizMissingError when `dot` is not on PATH (the CLI prints it and exits 69,
 * EX_UNAVAILABLE; ERR_GRAPHVIZ_MISSING in docs/errors.md), and with an Error carrying dot's
 * stderr when dot rejects the input.
 */
import { spawn } from 'node:child_process';
import { MailtrailError } from '../errors/mailtrailError.js';

export class GraphvizMissingError extends MailtrailError {
  constructor(command: string) {
    super(
      'ERR_GRAPHVIZ_MISSING',
      `Graphviz is not installed ("${command}" not found on PATH): install it (Debian/Ubuntu: apt-get install graphviz), or use --format dot and render it elsewhere`,
    );
  }
}

export interface SvgOptions {
  /** The dot program; default `dot`. */
  readonly command?: string;
  readonly timeoutMs?: number;
}

export function renderSvg(dotText: string, options: SvgOptions = {}): Promise<string> {
  const command = options.command ?? 'dot';
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['-Tsvg'], { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 30_000 });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    child.stdin.on('error', () => {}); // EPIPE when dot is missing or exits early: reported below
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new GraphvizMissingError(command)
          : new Error(`${command}: ${err.message}`, { cause: err }),
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(Buffer.concat(stdout).toString('utf8'));
      const why =
        Buffer.concat(stderr).toString('utf8').trim() || (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(new Error(`${command} -Tsvg failed: ${why}`));
    });
    child.stdin.end(dotText);
  });
}
