/**
 * The edge's `authenticate` for a fixed table of users (the config's `smtp.auth.users`):
 * a password is compared in constant time, written either plain or as an scrypt hash
 * `scrypt:<salt>:<key>` (both base64; key = scrypt(password, salt, keylen = key's length),
 * Node's default cost N=16384, r=8, p=1). An unknown user costs the same work as a known one.
 * `hashPassword` makes such a hash (docs/configuration.md shows the one-line command).
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

const PREFIX = 'scrypt:';

/** `scrypt:<salt>:<key>` for `password`, with a fresh 16-byte salt and a 32-byte key. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32);
  return `${PREFIX}${salt.toString('base64')}:${key.toString('base64')}`;
}

interface Stored {
  readonly salt: Buffer;
  readonly key: Buffer;
}

/** A stored password as salt and key: a plain one is hashed once here, with a random salt. */
function stored(value: string): Stored {
  if (value.startsWith(PREFIX)) {
    const [salt, key] = value.slice(PREFIX.length).split(':');
    const s = Buffer.from(salt ?? '', 'base64');
    const k = Buffer.from(key ?? '', 'base64');
    if (s.length > 0 && k.length >= 16) return { salt: s, key: k };
  }
  // A plain password: only its hash is kept in memory (computed once, when the table is built).
  const salt = randomBytes(16);
  return { salt, key: scryptSync(value, salt, 32) };
}

/** `(user, password) → true` when the table has that user with that password. */
export function passwordTable(
  users: Readonly<Record<string, string>>,
): (user: string, password: string) => Promise<boolean> {
  const table = new Map(Object.entries(users).map(([name, value]) => [name, stored(value)] as const));
  const decoy: Stored = { salt: randomBytes(16), key: randomBytes(32) };
  return async (user, password) => {
    const entry = table.get(user);
    const { salt, key } = entry ?? decoy;
    const given = await scryptAsync(password, salt, key.length);
    return timingSafeEqual(given, key) && entry !== undefined;
  };
}
