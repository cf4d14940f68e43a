/**
 * The edge's built-in rules, applied before the user's validators:
 *  - RCPT: a domain not in `domains` → 550 5.7.1 Relay access denied (no open relay); a local
 *    part that may not name a Maildir (`/`, `\`, `..`, NUL, control characters, a leading dot,
 *    over 255 bytes: the Maildir relay's own rule, mail/pathComponent.ts) → 553 5.1.3; with
 *    `mailboxes`, an unknown user at a hosted domain → 550 5.1.1.
 *    An address that begins with `-` → 501 5.1.3 (it could only be an option to a pipe command).
 *  - MAIL and RCPT: a non-ASCII address without `MAIL … SMTPUTF8` → 553 5.6.7 (RFC 6531 §3.4).
 *  - MAIL: the HELO/EHLO name must be a hostname or an address literal → 501 5.5.2.
 * Without `domains` every domain passes (then a validator must refuse relaying).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { type SmtpReply, replies } from './smtpReply.js';
import { domainOf, localPartOf } from '../mail/address.js';
import { unsafeComponent } from '../mail/pathComponent.js';

export interface BuiltinRuleOptions {
  readonly domains?: readonly string[];
  readonly mailboxes?: readonly string[];
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;
const HOST_LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/i;

/** True if this local part may not name a Maildir under `<root>/<domain>/` (the relay's own rule). */
export function isUnsafeLocalPart(local: string): boolean {
  return unsafeComponent(local) !== undefined;
}

/** A HELO name RFC 5321 §4.1.1.1 allows: a domain or an address literal. */
export function isValidHeloName(name: string): boolean {
  const literal = /^\[(.*)\]$/.exec(name);
  if (literal) {
    const inner = literal[1] ?? '';
    return isIPv4(inner) || (/^ipv6:/i.test(inner) && isIPv6(inner.slice(5)));
  }
  if (name.length === 0 || name.length > 253) return false;
  return name
    .replace(/\.$/, '')
    .split('.')
    .every((label) => label.length <= 63 && HOST_LABEL.test(label));
}

export class BuiltinRules {
  private readonly domains: ReadonlySet<string> | undefined;
  private readonly mailboxes: ReadonlySet<string> | undefined;
  private readonly hosted: ReadonlySet<string>;

  constructor(options: BuiltinRuleOptions) {
    this.domains = options.domains ? new Set(options.domains.map((d) => d.toLowerCase())) : undefined;
    this.mailboxes = options.mailboxes ? new Set(options.mailboxes.map((m) => m.toLowerCase())) : undefined;
    this.hosted = this.domains ?? new Set([...(this.mailboxes ?? [])].map((m) => domainOf(m)));
  }

  /** The first hosted domain, for a bare `RCPT TO:<postmaster>` (RFC 5321 §4.5.1). */
  get primaryDomain(): string | undefined {
    return [...this.hosted][0];
  }

  /** A refusal for this sender, or undefined (`smtputf8`: the MAIL command declared SMTPUTF8). */
  checkSender(address: string, smtputf8: boolean): SmtpReply | undefined {
    return !smtputf8 && NON_ASCII.test(address) ? replies.utf8NotDeclared() : undefined;
  }

  /** A refusal for this recipient, or undefined when the built-in rules accept it. */
  checkRecipient(address: string, smtputf8 = false): SmtpReply | undefined {
    if (!smtputf8 && NON_ASCII.test(address)) return replies.utf8NotDeclared();
    if (address.startsWith('-')) return replies.leadingDash(address);
    const local = localPartOf(address);
    const domain = domainOf(address);
    if (this.domains && !this.domains.has(domain)) return replies.relayDenied(address);
    if (isUnsafeLocalPart(local)) return replies.badLocalPart(address);
    if (this.mailboxes && this.hosted.has(domain) && !this.mailboxes.has(`${local}@${domain}`.toLowerCase())) {
      return replies.userUnknown(address);
    }
    return undefined;
  }

  /** A refusal for MAIL when the client greeted with a name that is not a hostname. */
  checkHelo(helo: string | undefined): SmtpReply | undefined {
    if (helo === undefined) return undefined; // smtp-server already demands HELO/EHLO
    return isValidHeloName(helo) ? undefined : replies.invalidHelo(helo);
  }
}
