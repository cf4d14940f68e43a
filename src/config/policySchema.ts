/**
 * The `policies` list: each entry is a policy name (`addDateHeader`) or an object with a
 * single key, the name, whose value holds that policy's options (`{ spamassassin: {...} }`).
 * Output is `{ name, options }` in file order. Unknown names and options fail with the
 * names that exist; policyOptionSchemas is what the documentation test walks.
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { strictObject } from './strictObject.js';
import { SPAMD_DEFAULTS } from '../policies/spamdClient.js';

const noOptions = strictObject({});

/** One forward rule: a regex (JavaScript syntax), its replacement ($1, $<name>), how many matches to replace. */
const forwardRuleSchema = strictObject({
  pattern: z.string().min(1),
  replace: z.string(),
  count: z.number().int().min(0).optional(),
  flags: z
    .string()
    .regex(/^[imsu]*$/, 'expected regex flags among i, m, s, u')
    .optional(),
}).superRefine((rule, ctx) => {
  try {
    new RegExp(rule.pattern, rule.flags);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      path: ['pattern'],
      message: `not a valid regular expression: ${(err as Error).message}`,
      input: rule.pattern,
    });
  }
});

export const policyOptionSchemas = {
  addDateHeader: noOptions,
  addMessageIdHeader: noOptions,
  addReceivedHeader: noOptions,
  spamassassin: strictObject({
    host: z.string().min(1).default(SPAMD_DEFAULTS.host),
    port: z.number().int().min(0).max(65535).default(SPAMD_DEFAULTS.port),
    timeout: durationSchema.default(SPAMD_DEFAULTS.timeout),
    socket: z.string().min(1).optional(),
    onError: z.enum(['defer', 'pass']).optional(),
    maxSize: z.number().int().positive().optional(),
    command: z.enum(['SYMBOLS', 'CHECK']).optional(),
    user: z
      .string()
      .min(1)
      .regex(/^[^\s]+$/, 'expected a user name without spaces')
      .optional(),
  }),
  forward: z.array(forwardRuleSchema),
  recipientSplit: noOptions,
  recipientDomainSplit: noOptions,
} as const;

export type PolicyName = keyof typeof policyOptionSchemas;
export const policyNames = Object.keys(policyOptionSchemas) as PolicyName[];

/** One configured policy; options hold that policy's parsed options. */
export type PolicyConfig = {
  [N in PolicyName]: { readonly name: N; readonly options: z.output<(typeof policyOptionSchemas)[N]> };
}[PolicyName];

export const DEFAULT_POLICIES: readonly PolicyName[] = ['addDateHeader', 'addMessageIdHeader', 'addReceivedHeader'];

const POLICY_EXPECTED = `expected a policy name or a single-key object { name: options }; names: ${policyNames.join(', ')}`;

function isPolicyName(name: string): name is PolicyName {
  return Object.hasOwn(policyOptionSchemas, name);
}

/** One entry of the `policies` list. */
export const policySchema = z
  .union([z.string(), z.record(z.string(), z.unknown())], { error: POLICY_EXPECTED })
  .transform((entry, ctx): PolicyConfig => {
    const [name, raw] = typeof entry === 'string' ? [entry, undefined] : (Object.entries(entry)[0] ?? ['', undefined]);
    if (typeof entry !== 'string' && Object.keys(entry).length !== 1) {
      ctx.issues.push({ code: 'custom', message: POLICY_EXPECTED, input: entry });
      return z.NEVER;
    }
    if (!isPolicyName(name)) {
      ctx.issues.push({ code: 'custom', message: `unknown policy "${name}"; ${POLICY_EXPECTED}`, input: undefined });
      return z.NEVER;
    }
    const schema = policyOptionSchemas[name];
    const parsed = schema.safeParse(raw ?? (name === 'forward' ? [] : {}), { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.issues.push({ ...issue, path: typeof entry === 'string' ? issue.path : [name, ...issue.path] } as never);
      }
      return z.NEVER;
    }
    return { name, options: parsed.data } as PolicyConfig;
  });

export const policiesSchema = z.array(policySchema);
