/**
 * The one list of what never leaves the process as written: secret fields (passwords — `pass`
 * included —, tokens, AUTH data) and the message's content (body, raw text, subject). The log
 * (fieldStripper.ts, pino's `formatters.log`) removes them at any depth up to four levels; the inspector
 * (src/inspect/sanitize.ts) replaces them by "[redacted]" / "[omitted]" at any depth. Keys are
 * compared lower-cased with `-` and `_` removed in the inspector; the log matches the spellings
 * below and their lower-case forms. Data only.
 */

/** Credentials and other secrets. */
export const SECRET_FIELDS: readonly string[] = [
  'password',
  'pass',
  'passwd',
  'passphrase',
  'secret',
  'clientSecret',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'authorization',
  'credentials',
  'credential',
  'cookie',
  'privateKey',
  'sasl',
  'authData',
];

/** The message's content: its body and what its author wrote in the headers (the subject). */
export const CONTENT_FIELDS: readonly string[] = [
  'body',
  'raw',
  'content',
  'text',
  'html',
  'attachments',
  'bodyText',
  'subject',
];

/** A key as the inspector compares it. */
export const normalizeField = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');
