/**
 * Body ids and refs: an id is a plain file name ([A-Za-z0-9._-]+, no "..", no leading dot,
 * at most 200 characters); a ref is "bodies/<id>", the relative path stored in MessageReceived.
 * Anything else throws InvalidBodyIdError before a path is ever built, so no id or ref can
 * name a file outside <root>/bodies.
 */
import { InvalidBodyIdError } from './spoolErrors.js';

export const BODIES_DIR = 'bodies';
const ID_PATTERN = /^[A-Za-z0-9._-]{1,200}$/;

export function isValidBodyId(id: string): boolean {
  return ID_PATTERN.test(id) && !id.includes('..') && !id.startsWith('.');
}

export function assertBodyId(id: string): string {
  if (typeof id !== 'string' || !isValidBodyId(id)) throw new InvalidBodyIdError('id', String(id));
  return id;
}

export function refForId(id: string): string {
  return `${BODIES_DIR}/${assertBodyId(id)}`;
}

export function idForRef(ref: string): string {
  const prefix = `${BODIES_DIR}/`;
  if (typeof ref !== 'string' || !ref.startsWith(prefix)) throw new InvalidBodyIdError('ref', String(ref));
  const id = ref.slice(prefix.length);
  if (!isValidBodyId(id)) throw new InvalidBodyIdError('ref', ref);
  return id;
}
