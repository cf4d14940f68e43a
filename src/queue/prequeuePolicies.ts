/**
 * Runs the prequeue policies of one message in order and folds their effects: headers to
 * prepend (each policy's above the ones before it: trace fields on top), verdicts by policy
 * name, rewritten recipients (seen by the policies after the rewrite), or a split into groups
 * (the policies after the splitting one run on each child instead). A policy that throws
 * stops the run: the outcome `failed` names it and carries its error, and the caller decides
 * on the error's class (errorOutcome.ts): PoliciesFailed for a PermanentError, else
 * PoliciesDeferred. A message that has no
 * header block gets an empty entry after the prepended headers: the empty line that separates
 * them from its body.
 */
import { needsSeparator } from '../policies/headerBlock.js';
import type { PolicyContext, PrequeuePolicy } from '../policies/policy.js';
import type { QueuedMessage } from '../mail/envelope.js';

export type PolicyOutcome =
  | { kind: 'applied'; headers: string[]; verdicts: Record<string, unknown>; recipients?: string[] }
  | { kind: 'split'; headers: string[]; verdicts: Record<string, unknown>; groups: string[][]; nextPolicy: number }
  /** `headers`: what the policies before the failing one produced (not kept). */
  | { kind: 'failed'; headers: string[]; policy: string; error: unknown };

export interface PolicyRunInput {
  readonly policies: readonly PrequeuePolicy[];
  /** Index of the first policy to run. */
  readonly from: number;
  readonly message: QueuedMessage;
  readonly hostname: string;
  readonly now: Date;
  readHeaders(): Promise<string>;
  /** The message as received with these headers prepended. */
  openMessage(headers: readonly string[]): NodeJS.ReadableStream;
}

export async function runPrequeuePolicies(input: PolicyRunInput): Promise<PolicyOutcome> {
  let headers: string[] = [];
  let message = input.message;
  let recipients: string[] | undefined;
  // The original header block is read from the spool once, however many policies ask for it.
  let headerBlock: Promise<string> | undefined;
  const readHeaders = () => (headerBlock ??= input.readHeaders());
  const verdicts: Record<string, unknown> = {};
  for (let i = input.from; i < input.policies.length; i++) {
    const policy = input.policies[i]!;
    const ctx: PolicyContext = {
      message,
      hostname: input.hostname,
      now: input.now,
      readHeaders,
      openMessage: () => input.openMessage(headers),
    };
    let effect;
    try {
      effect = await policy.apply(ctx);
    } catch (error) {
      return { kind: 'failed', headers, policy: policy.name, error };
    }
    headers = [...(effect.prependHeaders ?? []), ...headers];
    if (effect.verdicts) verdicts[policy.name] = effect.verdicts;
    if (effect.recipients) {
      recipients = [...effect.recipients];
      message = { ...message, envelope: { ...message.envelope, recipients } };
    }
    if (effect.split && effect.split.length > 1) {
      headers = await withSeparator(headers, readHeaders);
      return {
        kind: 'split',
        headers,
        verdicts,
        groups: effect.split.map((g) => [...g.recipients]),
        nextPolicy: i + 1,
      };
    }
  }
  headers = await withSeparator(headers, readHeaders);
  return { kind: 'applied', headers, verdicts, ...(recipients ? { recipients } : {}) };
}

/** The headers, and an empty one after them when the message has no header block of its own. */
async function withSeparator(headers: string[], readHeaders: () => Promise<string>): Promise<string[]> {
  if (headers.length === 0 || headers.at(-1) === '') return headers;
  return needsSeparator(await readHeaders()) ? [...headers, ''] : headers;
}
