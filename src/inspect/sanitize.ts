/**
 * What may leave the process for an inspector: a deep copy of an inspection message as plain
 * JSON in which secret fields (password, pass, tokens, AUTH credentials) are replaced by
 * "[redacted]", content fields (body, raw, content, text, html, attachments, subject) by "[omitted]",
 * and — in `mask` mode — every e-mail address in any string becomes `b***@example.test`.
 * A value that cannot be serialized (a cycle, a BigInt) becomes "[unserializable]"; nothing throws.
 */

import { CONTENT_FIELDS, SECRET_FIELDS, normalizeField } from '../logging/redaction.js';

export type AddressMode = 'show' | 'mask';

/** The fields the log removes too (src/logging/redaction.ts), compared lower-cased with `-`/`_` removed. */
const SECRET_KEYS = new Set(SECRET_FIELDS.map(normalizeField));
const BODY_KEYS = new Set(CONTENT_FIELDS.map(normalizeField));

export const REDACTED = '[redacted]';
export const OMITTED = '[omitted]';

export const isSecretKey = (key: string): boolean => SECRET_KEYS.has(normalizeField(key));
export const isBodyKey = (key: string): boolean => BODY_KEYS.has(normalizeField(key));

const ADDRESS =
  /([\p{L}\p{N}.!#$%&'*+/=?^_`{|}~-]+)@((?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}\p{N}-]{2,})/gu;

/** `bob@example.test` → `b***@example.test` (one visible character of the local part). */
export function maskAddress(address: string): string {
  return address.replace(ADDRESS, (_all, local: string, domain: string) => `${[...local][0] ?? ''}***@${domain}`);
}

export interface Sanitizer {
  /** A sanitized deep copy (plain JSON data). */
  (value: unknown): unknown;
}

/** The inspection envelope has none of these keys, so one walk covers envelope, events and contexts. */
export function createSanitizer(options: { addresses?: AddressMode } = {}): Sanitizer {
  const mask = (options.addresses ?? 'mask') === 'mask';
  const replacer = function (this: unknown, key: string, value: unknown): unknown {
    if (key !== '' && !Array.isArray(this)) {
      if (isSecretKey(key)) return value === undefined ? undefined : REDACTED;
      if (isBodyKey(key) && value !== undefined && value !== null && value !== '') return OMITTED;
    }
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    if (typeof value === 'string' && mask) return maskAddress(value);
    return value;
  };
  return (value: unknown): unknown => {
    try {
      const text = JSON.stringify(value, replacer);
      return text === undefined ? null : (JSON.parse(text) as unknown);
    } catch {
      return '[unserializable]';
    }
  };
}
