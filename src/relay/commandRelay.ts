/**
 * The base of the relays that hand a message to a local program, one run per recipient:
 * MaildropRelay, DovecotLdaRelay and PipeRelay. It builds the argv from a template
 * (commandArgs.ts), runs it through the spawn helper (spawnHelper.ts; or, with
 * `spawn: 'direct'`, with the pipe runner runCommand.ts in this process) and turns the way the
 * program ended into a RecipientResult: exit 0 → 2.0.0 delivered; another exit code →
 * the sys_exits table (sysExits.ts); a signal, the time limit, a failed start or an
 * unreadable message → 4.3.0 transient. Per-recipient problems never throw.
 */
import { ConfigError } from '../errors/mailtrailError.js';
import { checkTemplate, commandVars, resolveProgram, substitute, type ConfigSite } from './commandArgs.js';
import { runCommand, type CommandExit, type CommandRun } from './runCommand.js';
import type { DeliveryRequest, RecipientResult, Relay } from './relay.js';
import { PIPE_DEFAULTS } from './relayDefaults.js';
import { sharedSpawnHelper } from './spawnHelper.js';
import { sysExitStatus } from './sysExits.js';

/** The time limit of a command relay when none is given (the tutorial's 10 seconds). */
export const DEFAULT_COMMAND_TIMEOUT = PIPE_DEFAULTS.timeout;

/** The status for a run that did not end with an exit code: signal, time limit, no start. */
export const COMMAND_FAILED_STATUS = '4.3.0';

export interface CommandRelaySpec {
  /** The relay's name, e.g. 'maildrop'; it starts every reply. */
  readonly name: string;
  /** The program as configured: a path, or a bare name looked up on PATH. */
  readonly program: string;
  /** The relay's own first arguments (e.g. `-f {sender}`), then the configured ones. */
  readonly fixedArgs: readonly string[];
  /** The configured argument template; placeholders as in commandArgs.ts. */
  readonly args: readonly string[];
  readonly timeout?: number | undefined;
  readonly killGrace?: number | undefined;
  /** Prepend `Return-Path: <sender>` and `Delivered-To: <recipient>` (Postfix pipe flags R, D). */
  readonly traceHeaders: boolean;
  /** Config keys for errors: the program's, the args' and the index of args[0] under it. */
  readonly keys: { readonly program: string; readonly args: string; readonly argsIndex?: number };
  readonly site?: ConfigSite | undefined;
  /** How runs start: through the shared spawn helper (default), or forked by this process. */
  readonly spawn?: CommandSpawn | undefined;
}

/** 'helper': a small helper process forks the programs (spawnHelper.ts); 'direct': we do. */
export type CommandSpawn = 'helper' | 'direct';

export class CommandRelay implements Relay {
  readonly name: string;
  /** The absolute path of the program, found at construction. */
  readonly program: string;
  readonly timeout: number;
  readonly #spec: CommandRelaySpec;
  readonly #template: readonly string[];
  readonly #run: (run: CommandRun) => Promise<CommandExit>;

  /** Throws a ConfigError when the program cannot be found or run, or the template is wrong. */
  constructor(spec: CommandRelaySpec) {
    const timeout = spec.timeout ?? DEFAULT_COMMAND_TIMEOUT;
    if (!Number.isSafeInteger(timeout) || timeout <= 0) {
      throw new ConfigError(
        `${spec.site?.key ?? 'relay'}.timeout`,
        'expected a positive number of milliseconds',
        spec.site?.file,
      );
    }
    checkTemplate(spec.args, spec.keys.args, spec.site, spec.keys.argsIndex);
    this.name = spec.name;
    this.program = resolveProgram(spec.program, spec.keys.program, spec.site);
    this.timeout = timeout;
    this.#template = [...spec.fixedArgs, ...spec.args];
    this.#spec = spec;
    this.#run = spec.spawn === 'direct' ? runCommand : (run) => sharedSpawnHelper().run(run);
  }

  async deliver(request: DeliveryRequest): Promise<RecipientResult[]> {
    const results: RecipientResult[] = [];
    for (const recipient of request.recipients) results.push(await this.#deliverOne(request, recipient));
    return results;
  }

  /** The argv (after the program) for one recipient, or why its address is refused. */
  argsFor(sender: string, recipient: string, messageId: string): string[] | { status: string; reply: string } {
    const check = commandVars(sender, recipient, messageId);
    return check.ok ? substitute(this.#template, check.vars) : { status: check.status, reply: check.reply };
  }

  async #deliverOne(request: DeliveryRequest, recipient: string): Promise<RecipientResult> {
    const { sender } = request.message.envelope;
    const args = this.argsFor(sender, recipient, request.message.id);
    if (!Array.isArray(args))
      return { recipient, outcome: 'permanent', status: args.status, reply: `${this.name}: ${args.reply}` };
    const header = this.#spec.traceHeaders ? `Return-Path: <${sender}>\nDelivered-To: ${recipient}\n` : '';
    const exit = await this.#run({
      program: this.program,
      args,
      header,
      content: () => request.openContent({ lineEndings: 'lf' }),
      timeout: this.timeout,
      ...(this.#spec.killGrace === undefined ? {} : { killGrace: this.#spec.killGrace }),
    });
    return { recipient, ...exitResult(this.name, exit, this.timeout) };
  }
}

/** How a run ended, as outcome, status and reply text. */
export function exitResult(name: string, exit: CommandExit, timeout: number): Omit<RecipientResult, 'recipient'> {
  const transient = (reply: string) => ({
    outcome: 'transient' as const,
    status: COMMAND_FAILED_STATUS,
    reply: `${name}: ${reply}`,
  });
  switch (exit.kind) {
    case 'exited': {
      if (exit.code === 0)
        return { outcome: 'delivered', status: '2.0.0', reply: `delivered via ${name}${withOutput(exit.output)}` };
      const { outcome, status, text } = sysExitStatus(exit.code);
      return { outcome, status, reply: `${name}: ${text} (exit status ${exit.code})${withOutput(exit.output)}` };
    }
    case 'signaled':
      return transient(`command died with signal ${exit.signal}${withOutput(exit.output)}`);
    case 'timedOut':
      return transient(`command time limit of ${timeout / 1000}s exceeded, killed${withOutput(exit.output)}`);
    case 'spawnFailed':
      return transient(`cannot run the command: ${describe(exit.error)}`);
    case 'readFailed':
      return transient(`error reading message, command killed: ${describe(exit.error)}`);
    case 'helperLost':
      return transient(`no outcome from the command (it may have delivered): ${exit.reason}`);
  }
}

function withOutput(output: string): string {
  return output === '' ? '' : `: ${output}`;
}

function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/[\r\n]+/g, ' ');
}
