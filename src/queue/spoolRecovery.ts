/**
 * Putting spooled bodies back in the queue from the envelope stored with each (`mailtrail
 * requeue --quarantined` and `--from-spool`): a quarantined body is moved back to bodies/
 * (durably) and a MessageReceived marked `recovered` is recorded through `enqueue`, a port of
 * one function (the daemon's queue, or the CLI's offline append). Nothing is recorded for a
 * body the log already knows, one written without an envelope (by an earlier version), or one
 * cut short by a crash mid-DATA (unless forced): each such body stays where it is.
 */
import { refForId } from '../spool/bodyId.js';
import type { Spool } from '../spool/spool.js';
import { fromSpooledEnvelope } from './receivedEvent.js';
import type { EnqueueInput } from './queueOptions.js';

export type RequeueFrom = 'quarantine' | 'spool';

export type RequeueOutcome = 'queued' | 'known' | 'no-envelope' | 'incomplete' | 'missing';

export interface RequeueResult {
  readonly id: string;
  readonly outcome: RequeueOutcome;
  /** For 'queued': the envelope's sender and recipients, for the operator's output. */
  readonly sender?: string;
  readonly recipients?: readonly string[];
}

export interface RequeuePorts {
  readonly spool: Spool;
  /** Records MessageReceived for a body already in bodies/<id> (and starts it, in the daemon). */
  readonly enqueue: (input: EnqueueInput) => Promise<string>;
  /** Does the log have a message with this id? */
  readonly isKnown: (id: string) => boolean | Promise<boolean>;
}

/** The ids `requeue` works on: the ones named, or every quarantined body / every unknown body. */
export async function requeueCandidates(
  ports: RequeuePorts,
  from: RequeueFrom,
  ids: readonly string[],
): Promise<string[]> {
  if (ids.length > 0) return [...ids];
  if (from === 'quarantine') return ports.spool.listQuarantined();
  const unknown: string[] = [];
  for (const id of await ports.spool.list()) if (!(await ports.isKnown(id))) unknown.push(id);
  return unknown;
}

export async function requeueSpooled(
  ports: RequeuePorts,
  id: string,
  from: RequeueFrom,
  force = false,
): Promise<RequeueResult> {
  const { spool } = ports;
  const where = from === 'quarantine' ? 'quarantine' : 'bodies';
  if (!spool.holds(id, where)) return { id, outcome: 'missing' };
  if (await ports.isKnown(id)) return { id, outcome: 'known' };
  const prefix = await spool.prefixOf(id, where);
  if (!prefix.envelope) return { id, outcome: prefix.complete === false ? 'incomplete' : 'no-envelope' };
  if (!prefix.complete && !force) return { id, outcome: 'incomplete' };
  const ref = from === 'quarantine' ? await spool.unquarantine(id) : refForId(id);
  const { sha256, size } = await spool.verify(ref, '');
  await ports.enqueue(fromSpooledEnvelope(id, prefix.envelope, { ref, size, sha256 }, from));
  return { id, outcome: 'queued', sender: prefix.envelope.sender, recipients: prefix.envelope.recipients };
}

/** What each outcome means, for the CLI and the control socket. */
export const REQUEUE_OUTCOMES: Record<RequeueOutcome, string> = {
  queued: 'queued again (its history starts with MessageReceived, recovered)',
  known: 'not requeued: the log already has a message with this id',
  'no-envelope': 'not requeued: the body has no stored envelope (written by an earlier version); it stays where it is',
  incomplete:
    'not requeued: the body was cut short (a crash during DATA; the client got no 250 and will have sent it again); --force requeues it as it is when its envelope was written',
  missing: 'not requeued: no such body',
};
