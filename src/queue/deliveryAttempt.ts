/**
 * One delivery attempt: group the in-flight recipients by route, hand each group to its relay
 * as the mailboxes they name (router.ts: BOB@ and Bob@ are one delivery to bob@), and turn the
 * per-recipient results into outcome events (DeliverySucceeded, DeliveryDeferred with the next
 * attempt time, DeliveryFailed). A relay that throws decides by the error's class
 * (errorOutcome.ts): a PermanentError fails its whole group with the error's 5.x.x status, a
 * TransientError defers it with its 4.x.x, anything else defers it with 4.0.0 and is logged as
 * unexpected; a result missing for a recipient defers it too. A route's refusal (no such
 * mailbox) fails the recipient without a relay. A recipient the message was already
 * delivered to (`Delivered-To:`) fails with 5.4.6 before any relay runs.
 */
import type { Logger } from 'pino';
import type { MessageContext } from '../../machines/message.context.js';
import type { DeliveryDeferred, DeliveryFailed, DeliverySucceeded } from '../../machines/message.events.js';
import type { DeliveryRequest, RecipientResult, Relay } from '../relay/relay.js';
import type { QueuedMessage } from '../mail/envelope.js';
import { forwardingLoop, loopingRecipients } from './deliveredToLoop.js';
import { errorOutcome } from './errorOutcome.js';
import { type Router, routeContextOf } from './router.js';

export type OutcomeEvent = DeliverySucceeded | DeliveryDeferred | DeliveryFailed;

export interface AttemptInput {
  readonly context: MessageContext;
  readonly message: QueuedMessage;
  readonly router: Router;
  readonly openContent: DeliveryRequest['openContent'];
  readonly now: () => number;
  /** When a deferred recipient will be tried again. */
  readonly nextAttemptAt: string;
  readonly logger: Logger;
  /** The header block as it would be delivered (policy headers, then the message's own). */
  readonly readHeaders?: () => Promise<string>;
}

async function loopsOf(input: AttemptInput, recipients: readonly string[]): Promise<string[]> {
  if (!input.readHeaders) return [];
  try {
    return loopingRecipients(await input.readHeaders(), recipients);
  } catch (err) {
    // The relay opens the same body and reports that failure per recipient.
    input.logger.warn({ err }, 'could not read the header block for the Delivered-To loop check');
    return [];
  }
}

export async function runDeliveryAttempt(input: AttemptInput): Promise<OutcomeEvent[]> {
  const inFlight = input.context.recipients.filter((r) => r.inFlight).map((r) => r.address);
  const routeContext = routeContextOf(input.context);
  // Per relay: the mailbox each recipient names (BOB@ and Bob@ both name bob@: one delivery).
  const groups = new Map<Relay, Map<string, string[]>>();
  const results: RecipientResult[] = [];
  const loops = new Set(await loopsOf(input, inFlight));
  for (const rcpt of inFlight) {
    if (loops.has(rcpt)) {
      results.push({ recipient: rcpt, outcome: 'permanent', status: '5.4.6', reply: forwardingLoop(rcpt) });
      continue;
    }
    const route = input.router.route(rcpt, routeContext);
    if ('deferReason' in route) {
      results.push({ recipient: rcpt, outcome: 'transient', status: '4.3.5', reply: route.deferReason });
      continue;
    }
    if ('failure' in route) {
      results.push({
        recipient: rcpt,
        outcome: 'permanent',
        status: route.failure.status,
        reply: route.failure.reason,
      });
      continue;
    }
    const mailboxes = groups.get(route.relay) ?? new Map<string, string[]>();
    groups.set(route.relay, mailboxes.set(route.address, [...(mailboxes.get(route.address) ?? []), rcpt]));
  }
  const relayOf = new Map<string, string>();
  await Promise.all(
    [...groups].map(async ([relay, mailboxes]) => {
      const recipients = [...mailboxes.keys()];
      const record = (mailbox: string, result: Omit<RecipientResult, 'recipient'>) => {
        for (const r of mailboxes.get(mailbox)!) results.push({ ...result, recipient: r });
      };
      for (const list of mailboxes.values()) for (const r of list) relayOf.set(r, relay.name);
      try {
        const got = await relay.deliver({ message: input.message, recipients, openContent: input.openContent });
        for (const m of recipients) {
          record(
            m,
            got.find((g) => g.recipient === m) ?? {
              outcome: 'transient',
              status: '4.0.0',
              reply: `${relay.name} returned no result`,
            },
          );
        }
      } catch (err) {
        // Decided on the error's class: PermanentError fails (5.x.x), TransientError defers (4.x.x).
        const failed = errorOutcome(err);
        if (failed.unexpected) input.logger.error({ err, relay: relay.name }, 'relay failed unexpectedly');
        else
          input.logger.warn(
            { err, relay: relay.name },
            `relay threw ${failed.outcome === 'permanent' ? 'a permanent' : 'a transient'} error`,
          );
        for (const m of recipients)
          record(m, { outcome: failed.outcome, status: failed.status, reply: `${relay.name}: ${failed.reason}` });
      }
    }),
  );
  const at = new Date(input.now()).toISOString();
  return inFlight.map((rcpt) => {
    const r = results.find((x) => x.recipient === rcpt)!;
    const base = { recipient: rcpt, status: r.status, reply: r.reply, relay: relayOf.get(rcpt) ?? 'none', at };
    if (r.outcome === 'delivered') return { type: 'DeliverySucceeded', ...base };
    if (r.outcome === 'permanent') return { type: 'DeliveryFailed', ...base };
    return { type: 'DeliveryDeferred', ...base, nextAttemptAt: input.nextAttemptAt };
  });
}

/** One line per recipient outcome, as Postfix logs it: to, relay, delay, dsn, status (reply). */
export function logOutcomes(logger: Logger, outcomes: readonly OutcomeEvent[], delaySeconds: number): void {
  const delay = delaySeconds.toFixed(2);
  for (const o of outcomes) {
    const status = o.type === 'DeliverySucceeded' ? 'sent' : o.type === 'DeliveryDeferred' ? 'deferred' : 'bounced';
    logger.info(
      { to: o.recipient, relay: o.relay, delay, dsn: o.status, status },
      `to=<${o.recipient}>, relay=${o.relay}, delay=${delay}, dsn=${o.status}, status=${status} (${o.reply})`,
    );
  }
}
