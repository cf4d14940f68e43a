/**
 * Policy forward (python-slimta's Forward): ordered regex rewrite rules for recipients.
 * Each recipient is tried against the rules in order; the first rule whose pattern matches
 * and whose replacement is not empty rewrites it (up to `count` matches, 0 = all) and no
 * further rule is tried. Replacements use JavaScript's syntax ($1, $<name>, $&, $$).
 * Effect: `recipients` (the rewritten list, duplicates after rewriting dropped, first kept)
 * only when something changed, and a verdict listing each rewrite. Pure: no I/O.
 */
import type { PolicyContext, PolicyEffect, PrequeuePolicy } from './policy.js';

export interface ForwardRule {
  /** A RegExp, or its source (compiled with `flags`). Searched anywhere in the address, like re.sub. */
  readonly pattern: string | RegExp;
  readonly replace: string;
  /** Most matches replaced per recipient; 0 (default) = all. */
  readonly count?: number;
  /** Flags for a string pattern, among i, m, s, u. */
  readonly flags?: string;
}

interface CompiledRule {
  readonly regex: RegExp;
  readonly replace: string;
  readonly count: number;
}

/** Expands a JavaScript replacement pattern for one match ($$, $&, $`, $', $1..$99, $<name>). */
function expand(replace: string, match: RegExpExecArray, input: string): string {
  return replace.replace(/\$(\$|&|`|'|\d{1,2}|<([^>]*)>)/g, (whole, token: string, name: string | undefined) => {
    if (token === '$') return '$';
    if (token === '&') return match[0];
    if (token === '`') return input.slice(0, match.index);
    if (token === "'") return input.slice(match.index + match[0].length);
    if (name !== undefined) return match.groups ? (match.groups[name] ?? '') : whole;
    // $nn: the two-digit group if it exists, else $n followed by a digit, as String.replace does.
    const groups = match.length - 1;
    if (token.length === 2 && Number(token) >= 1 && Number(token) <= groups) return match[Number(token)] ?? '';
    const one = Number(token[0]);
    if (one >= 1 && one <= groups) return (match[one] ?? '') + token.slice(1);
    return whole;
  });
}

/** Like Python's re.subn: the result and how many matches were replaced (at most `count`, 0 = all). */
export function regexSubstitute(regex: RegExp, replace: string, input: string, count = 0): [string, number] {
  const global = new RegExp(regex.source, `${regex.flags.replace(/[gy]/g, '')}g`);
  let out = '';
  let last = 0;
  let changes = 0;
  for (let m = global.exec(input); m !== null; m = global.exec(input)) {
    out += input.slice(last, m.index) + expand(replace, m, input);
    last = m.index + m[0].length;
    changes++;
    if (m[0] === '') global.lastIndex++;
    if (count > 0 && changes >= count) break;
  }
  return [out + input.slice(last), changes];
}

export class Forward implements PrequeuePolicy {
  readonly name = 'forward';
  private readonly rules: CompiledRule[] = [];

  constructor(rules: readonly ForwardRule[] = []) {
    for (const rule of rules) this.addMapping(rule.pattern, rule.replace, rule.count ?? 0, rule.flags);
  }

  /** Adds a rule after the existing ones (slimta's add_mapping). A bad pattern throws SyntaxError. */
  addMapping(pattern: string | RegExp, replace: string, count = 0, flags = ''): this {
    const regex = typeof pattern === 'string' ? new RegExp(pattern, flags) : pattern;
    this.rules.push({ regex, replace, count });
    return this;
  }

  /** The address `recipient` is rewritten to (itself when no rule applies). */
  rewrite(recipient: string): string {
    for (const rule of this.rules) {
      const [result, changes] = regexSubstitute(rule.regex, rule.replace, recipient, rule.count);
      if (changes > 0 && result !== '') return result;
    }
    return recipient;
  }

  async apply(ctx: PolicyContext): Promise<PolicyEffect> {
    const original = ctx.message.envelope.recipients;
    const rewrites: { from: string; to: string }[] = [];
    const recipients: string[] = [];
    for (const from of original) {
      const to = this.rewrite(from);
      if (to !== from) rewrites.push({ from, to });
      if (!recipients.includes(to)) recipients.push(to);
    }
    if (rewrites.length === 0 && recipients.length === original.length) return {};
    return { recipients, verdicts: { rewrites } };
  }
}
