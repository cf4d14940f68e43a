/**
 * Whether a string from an address (a local part, a domain) may be one component of a path
 * under a configured root: the one rule both the SMTP edge (553 at RCPT) and the Maildir relay
 * (which builds `<root>/<domain>/<local>`) apply, so that an address the edge accepts is never
 * refused later for its shape (a bounce to a sender who may be forged).
 */

/** The longest file name Linux and the BSDs accept (NAME_MAX), in bytes. */
const NAME_MAX = 255;

/** Why `part` may not be a path component, or undefined when it may. */
export function unsafeComponent(part: string): string | undefined {
  if (part === '') return 'is empty';
  if (part.startsWith('.')) return "starts with '.'";
  if (part.includes('..')) return "contains '..'";
  if (part.includes('/')) return "contains '/'";
  if (part.includes('\\')) return "contains '\\'";
  if (/\p{Cc}/u.test(part)) return 'contains a control character';
  if (Buffer.byteLength(part, 'utf8') > NAME_MAX) return `is longer than ${NAME_MAX} bytes`;
  return undefined;
}
