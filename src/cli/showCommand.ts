/**
 * `mailtrail show <id> [--raw | --headers | --body | --envelope] [--json]`: a queued message as
 * its relay will receive it: the spooled body with the headers its prequeue policies added
 * (PoliciesApplied) on top. Prints the header section and a mailparser summary; `--raw` the
 * message bytes; `--headers` the header section; `--body` the bytes after it; `--envelope` the
 * sender and recipients with their status, as postcat -h, -b and -e.
 * Reads the log read-only and the spool file directly; a body already removed from the spool
 * (after delivery and retention) is reported as such, exit 1.
 */
import { parseArgs } from 'node:util';
import { pipeline } from 'node:stream/promises';
import type { MessageSummary } from '../readmodel/messageSummary.js';
import { headerBlockOf } from '../queue/queue.js';
import { isInlineRef } from '../spool/inlineBodies.js';
import { BodyMissingError } from '../spool/spoolErrors.js';
import { formatMailSummary, headerSection, summarizeMail } from './mailSummary.js';
import { inlineBodyOf, openStoredBody, readStoredMessage, spoolRootOf } from './messageStore.js';
import { commonOptions, configFrom, openEventLog, UsageError } from './openLog.js';
import { PostgresBodyStore } from '../spool/postgresBodyStore.js';

export const options = {
  ...commonOptions,
  raw: { type: 'boolean' },
  headers: { type: 'boolean' },
  body: { type: 'boolean' },
  envelope: { type: 'boolean' },
} as const;

const USAGE = 'usage: mailtrail show <id> [--raw | --headers | --body | --envelope] [--json] [--config FILE]';

/** Where the header section ends in a message: the offset of the body (after the empty line). */
export function bodyOffset(message: Buffer): number {
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : message.length;
}

function envelopeText(summary: MessageSummary): string {
  const lines = [
    `message ${summary.id} (${summary.state}, ${summary.size} bytes, received ${summary.receivedAt}, origin ${summary.origin}${summary.parentId ? ` of ${summary.parentId}` : ''})`,
    `sender: <${summary.sender}>`,
    ...summary.recipients.map(
      (r) => `recipient: <${r.address}> ${r.status}${r.dsn ? ` ${r.dsn}` : ''}${r.reply ? ` (${r.reply})` : ''}`,
    ),
  ];
  if (summary.sessionId) lines.push(`session: ${summary.sessionId}`);
  return `${lines.join('\n')}\n`;
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError(USAGE);
  const parts = [values.raw, values.headers, values.body, values.envelope].filter(Boolean).length;
  if (parts > 1) throw new UsageError(`--raw, --headers, --body and --envelope exclude each other\n${USAGE}`);
  if (values.json && (values.raw || values.body))
    throw new UsageError(`--json goes with --headers, --envelope or nothing\n${USAGE}`);
  const config = await configFrom(values);
  const log = await openEventLog(config);
  let stored;
  let inline: Buffer | undefined;
  try {
    stored = await readStoredMessage(log, id);
    if (stored && isInlineRef(stored.summary.bodyRef)) inline = inlineBodyOf(log, stored.summary.bodyRef);
  } finally {
    await log.close();
  }
  if (!stored) {
    process.stderr.write(`mailtrail show: no message ${id}\n`);
    return 1;
  }
  const { summary } = stored;
  if (values.envelope) {
    const envelope = {
      id,
      state: summary.state,
      size: summary.size,
      receivedAt: summary.receivedAt,
      origin: summary.origin,
      parentId: summary.parentId,
      sessionId: summary.sessionId,
      sender: summary.sender,
      recipients: summary.recipients,
    };
    process.stdout.write(values.json ? `${JSON.stringify(envelope, null, 2)}\n` : envelopeText(summary));
    return 0;
  }
  // On the shared PostgreSQL log the bodies are in the database (any node's CLI reads them).
  const shared =
    config.eventLog.type === 'postgres'
      ? new PostgresBodyStore(spoolRootOf(config), config.eventLog.connectionString, { poolSize: 1 })
      : undefined;
  const open = () =>
    shared
      ? shared.open(summary.bodyRef, { prepend: headerBlockOf(stored.policyHeaders) })
      : openStoredBody(config, summary.bodyRef, inline, { prepend: headerBlockOf(stored.policyHeaders) });
  try {
    return await showBody(values, id, summary, open);
  } finally {
    await shared?.close();
  }
}

async function showBody(
  values: {
    raw?: boolean | undefined;
    headers?: boolean | undefined;
    body?: boolean | undefined;
    json?: boolean | undefined;
  },
  id: string,
  summary: NonNullable<Awaited<ReturnType<typeof readStoredMessage>>>['summary'],
  open: () => NodeJS.ReadableStream & AsyncIterable<Buffer>,
): Promise<number> {
  try {
    if (values.raw) {
      await pipeline(open(), process.stdout, { end: false });
      return 0;
    }
    const message = await collect(open());
    if (values.headers) {
      const headers = headerSection(message);
      process.stdout.write(values.json ? `${JSON.stringify(headers.split('\n'), null, 2)}\n` : `${headers}\n`);
      return 0;
    }
    if (values.body) {
      process.stdout.write(message.subarray(bodyOffset(message)));
      return 0;
    }
    const mail = await summarizeMail(message);
    const envelope = { sender: summary.sender, recipients: summary.recipients.map((r) => r.address) };
    if (values.json) {
      const json = {
        id,
        state: summary.state,
        size: summary.size,
        receivedAt: summary.receivedAt,
        envelope,
        headers: headerSection(message).split('\n'),
        summary: mail,
      };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(
      `message ${id} (${summary.state}, ${summary.size} bytes, received ${summary.receivedAt})\n` +
        `envelope: from <${envelope.sender}> to ${envelope.recipients.map((r) => `<${r}>`).join(', ')}\n\n` +
        `${headerSection(message)}\n\nsummary:\n${formatMailSummary(mail)}`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof BodyMissingError)) throw err;
    process.stderr.write(
      `mailtrail show: the body of message ${id} is no longer in the spool (state ${summary.state}; bodies are removed after delivery and queue.bodyRetention); ` +
        `its events remain: mailtrail history ${id}\n`,
    );
    return 1;
  }
}
