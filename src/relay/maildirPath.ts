/**
 * Where a recipient's Maildir lives: `local@domain` → `<root>/<domain lowercased>/<local>`.
 * No address may name a path outside the root: a local part or domain that is empty,
 * starts with '.', contains '/', '\', '..', NUL or any control character, or is longer
 * than a file name may be, is refused; the joined path is then checked to lie under the
 * root. A refusal carries the reason; the relay reports it as 5.1.3 (bad address syntax).
 */
import path from 'node:path';
import { domainOf, localPartOf } from '../mail/address.js';
import { unsafeComponent } from '../mail/pathComponent.js';

export type MaildirTarget =
  | { readonly ok: true; readonly dir: string; readonly domain: string; readonly local: string }
  | { readonly ok: false; readonly reason: string };

/** The Maildir directory of `recipient` under `root`, or why there is none. */
export function maildirFor(root: string, recipient: string): MaildirTarget {
  if (!recipient.includes('@')) return { ok: false, reason: 'recipient address has no domain' };
  const local = localPartOf(recipient);
  const domain = domainOf(recipient);
  const badLocal = unsafeComponent(local);
  if (badLocal !== undefined) return { ok: false, reason: `recipient local part ${badLocal}` };
  const badDomain = unsafeComponent(domain);
  if (badDomain !== undefined) return { ok: false, reason: `recipient domain ${badDomain}` };

  const rootAbs = path.resolve(root);
  const dir = path.resolve(rootAbs, domain, local);
  const rel = path.relative(rootAbs, dir);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).length !== 2) {
    return { ok: false, reason: 'recipient maps outside the mail root' };
  }
  return { ok: true, dir, domain, local };
}
