/**
 * zod strict objects whose unknown-key error lists the keys that are allowed, so a typo
 * in the config file (`smtp.lisen`) fails with the spelling it should have had.
 * Used for every object of the configuration schema; formatting the issue into a
 * ConfigError (one per unknown key) is configIssues.ts's job.
 */
import { z } from 'zod';

/** Like z.strictObject, with an unknown-key message naming the allowed keys. */
export function strictObject<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key; expected one of: ${allowed}` : undefined),
  });
}
