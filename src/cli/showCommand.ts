/**
 * `mailtrail show <id> [--raw] [--json]`: a queued message as its relay will receive it: the
 * spooled body with the headers its prequeue policies added (PoliciesApplied) on top. Prints
 * the header section and a mailparser summary; `--raw` prints the message bytes instead.
 * Reads the log read-only and the spool file directly; a body already removed from the spool
 * (after delivery and retention) is reported as such, exit 1.
 */
import { parseArgs } from 'node:util';
import { pipeline } from 'node:stream/promises';
import { headerBlockOf } from '../queue/queue.js';
import { openBody } from '../spool/bodyReader.js';
import { BodyMissingError } from '../spool/spoolErrors.js';
import { formatMailSummary, headerSection, summarizeMail } from './mailSummary.js';
import { bodyPathOf, readStoredMessage } from './messageStore.js';
import { commonOptions, configFrom, openLogReadonly, UsageError } from './openLog.js';

export const options = { ...commonOptions, raw: { type: 'boolean' } } as const;

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

export async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw new UsageError('usage: mailtrail show <id> [--raw] [--json] [--config FILE]');
  const config = await configFrom(values);
  const log = await openLogReadonly(config);
  let stored;
  try {
    stored = await readStoredMessage(log, id);
  } finally {
    await log.close();
  }
  if (!stored) {
    process.stderr.write(`mailtrail show: no message ${id}\n`);
    return 1;
  }
  const { summary } = stored;
  const open = () => openBody(bodyPathOf(config, summary.bodyRef), summary.bodyRef, { prepend: headerBlockOf(stored.policyHeaders) });
  try {
    if (values.raw) {
      await pipeline(open(), process.stdout, { end: false });
      return 0;
    }
    const message = await collect(open());
    const mail = await summarizeMail(message);
    const envelope = { sender: summary.sender, recipients: summary.recipients.map((r) => r.address) };
    if (values.json) {
      const json = { id, state: summary.state, size: summary.size, receivedAt: summary.receivedAt, envelope, headers: headerSection(message).split('\n'), summary: mail };
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
