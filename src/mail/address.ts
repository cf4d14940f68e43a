/**
 * Mail addresses as the envelope carries them (`local@domain`, the null sender as ''): the one
 * place that splits them. An address is split at its last '@' (a quoted local part may hold
 * another); the local part keeps its case (RFC 5321 2.4), the domain does not matter in case
 * and `domainOf` lower-cases it. An address without '@' is all local part, with domain ''.
 */

/** Local part and domain as written, split at the last '@'. */
export function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  return at < 0 ? { local: address, domain: '' } : { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/** The domain, lower-cased; '' when there is none (the null sender, `postmaster`). */
export function domainOf(address: string): string {
  return splitAddress(address).domain.toLowerCase();
}

/** The local part as written (the whole address when it has no '@'). */
export function localPartOf(address: string): string {
  return splitAddress(address).local;
}

/** The address with its domain lower-cased and its local part as written. */
export function withLowerCaseDomain(address: string): string {
  const { local, domain } = splitAddress(address);
  return domain === '' ? address : `${local}@${domain.toLowerCase()}`;
}
