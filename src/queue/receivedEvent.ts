/**
 * The MessageReceived event of a message and the envelope stored with its body
 * (spool/spooledEnvelope.ts): two records of the same facts, built here from one input so
 * they never disagree. `fromSpooledEnvelope` turns a stored envelope back into the queue's
 * input, for `mailtrail requeue` of a quarantined body or a spool whose log was lost.
 */
import type { MessageReceived } from '../../machines/message.events.js';
import { clientInfoFrom } from '../mail/clientInfo.js';
import type { SpooledEnvelope } from '../spool/spooledEnvelope.js';
import type { StoredBody } from '../spool/spool.js';
import type { EnqueueInput } from './queueOptions.js';

export function spooledEnvelopeOf(input: EnqueueInput, at: string): SpooledEnvelope {
  return {
    sender: input.envelope.sender,
    recipients: [...input.envelope.recipients],
    at,
    ...(input.sessionId ? { sessionId: input.sessionId } : {}),
    ...(input.client ? { client: { ...input.client } } : {}),
    ...(input.smtputf8 ? { smtputf8: true } : {}),
    ...(input.origin ? { origin: input.origin } : {}),
    ...(input.parentId ? { parentId: input.parentId } : {}),
    ...(input.policiesFrom ? { policiesFrom: input.policiesFrom } : {}),
  };
}

export function receivedEvent(
  id: string,
  input: EnqueueInput,
  stored: StoredBody,
  at: string,
  headers: { subject?: string | undefined; headerMessageId?: string | undefined },
): MessageReceived {
  return {
    type: 'MessageReceived',
    messageId: id,
    sender: input.envelope.sender,
    recipients: [...input.envelope.recipients],
    bodyRef: stored.ref,
    size: stored.size,
    sha256: stored.sha256,
    at,
    ...(input.sessionId ? { sessionId: input.sessionId } : {}),
    ...(input.client ? { client: input.client } : {}),
    ...(input.smtputf8 ? { smtputf8: true } : {}),
    ...(input.parentId ? { parentId: input.parentId } : {}),
    ...(input.policiesFrom ? { policiesFrom: input.policiesFrom } : {}),
    ...(headers.subject !== undefined ? { subject: headers.subject } : {}),
    ...(headers.headerMessageId !== undefined ? { headerMessageId: headers.headerMessageId } : {}),
    origin: input.origin ?? 'smtp',
    ...(input.recovered ? { recovered: input.recovered } : {}),
  };
}

const ORIGINS = ['smtp', 'dsn', 'split', 'local'] as const;

/** The queue's input for a body already in bodies/<id>, from the envelope stored with it. */
export function fromSpooledEnvelope(
  id: string,
  envelope: SpooledEnvelope,
  stored: StoredBody,
  recovered: 'quarantine' | 'spool',
): EnqueueInput {
  const origin = ORIGINS.find((o) => o === envelope.origin);
  const client = clientInfoFrom(envelope.client);
  return {
    id,
    envelope: { sender: envelope.sender, recipients: envelope.recipients.map(String) },
    stored,
    receivedAt: envelope.at,
    recovered,
    ...(envelope.sessionId ? { sessionId: envelope.sessionId } : {}),
    ...(client ? { client } : {}),
    ...(envelope.smtputf8 ? { smtputf8: true } : {}),
    ...(origin ? { origin } : {}),
    ...(envelope.parentId ? { parentId: envelope.parentId } : {}),
    ...(envelope.policiesFrom ? { policiesFrom: envelope.policiesFrom } : {}),
  };
}
