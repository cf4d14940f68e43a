/**
 * The queue's read model of one message (what `mailtrail queue` lists and what start-up needs
 * to find live messages), folded by the message machine itself: each event goes through the
 * machine's pure transition (src/replay/replay.ts) and the summary is read off the resulting
 * state and context, so the recipient bookkeeping exists once, in machines/. Pure; kept by the
 * sqlite log as an inline projection (messagesProjection.ts, which stores the context beside
 * the summary) and folded from the streams for other logs.
 */
import type { MessageContext } from '../../machines/message.context.js';
import { MESSAGE_MACHINE_VERSION, messageMachine } from '../../machines/message.machine.js';
import type { RecordedEvent } from '../eventlog/eventLog.js';
import { applyEvent, checkMachineVersion, initialSnapshot, machineEventOf } from '../replay/replay.js';
import { stateName } from '../replay/stateName.js';
import { isFinalState } from './messageStates.js';
import { snapshotFromFold } from './messageSnapshot.js';

export { FINAL_STATES, LIVE_STATES, isFinalState } from './messageStates.js';

export interface RecipientSummary {
  readonly address: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly dsn?: string;
  readonly reply?: string;
}

export interface MessageSummary {
  readonly id: string;
  readonly state: string;
  readonly sender: string;
  readonly recipients: readonly RecipientSummary[];
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly receivedAt: string;
  readonly updatedAt: string;
  readonly finalAt: string | null;
  readonly size: number;
  readonly bodyRef: string;
  readonly parentId: string | null;
  readonly origin: string;
  readonly sessionId: string | null;
  readonly lastReason: string | null;
  readonly revision: bigint;
  /** The last AttemptClaimed (shared logs): it holds while the state is relay-attempted. */
  readonly claim?: { readonly node: string; readonly leaseUntil: string };
}

/** A message folded so far: the machine's context (to fold the next event) and its summary. */
export interface MessageFold {
  readonly context: MessageContext;
  readonly summary: MessageSummary;
}

/** The summary the machine's context says, after event `e` led to `state`. */
export function summaryOf(
  ctx: MessageContext,
  state: string,
  e: RecordedEvent,
  before?: MessageSummary,
): MessageSummary {
  const at = typeof (e.data as { at?: unknown }).at === 'string' ? String((e.data as { at: string }).at) : e.recordedAt;
  const finalAt = isFinalState(state) ? (before && isFinalState(before.state) ? before.finalAt : at) : null;
  return {
    id: ctx.messageId,
    state,
    sender: ctx.sender,
    recipients: ctx.recipients.map((r) => ({
      address: r.address,
      status: r.status,
      ...(r.dsn !== undefined ? { dsn: r.dsn } : {}),
      ...(r.reply !== undefined ? { reply: r.reply } : {}),
    })),
    attempts: ctx.attempts,
    nextAttemptAt: ctx.nextAttemptAt,
    receivedAt: ctx.receivedAt,
    updatedAt: at,
    finalAt,
    size: ctx.size,
    bodyRef: ctx.bodyRef,
    parentId: ctx.parentId ?? null,
    origin: ctx.origin,
    sessionId: ctx.sessionId ?? null,
    lastReason: ctx.lastReason ?? null,
    revision: e.revision,
    ...(ctx.claim ? { claim: { node: ctx.claim.node, leaseUntil: ctx.claim.leaseUntil } } : {}),
  };
}

/** Fold one event (undefined before MessageReceived); the machine refuses what it does not accept. */
export function foldMessage(prev: MessageFold | undefined, e: RecordedEvent): MessageFold | undefined {
  if (!prev && e.type !== 'MessageReceived') return undefined;
  const from =
    prev && e.type !== 'MessageReceived'
      ? snapshotFromFold(prev.summary.state, prev.context)
      : initialSnapshot(messageMachine);
  const where = `${e.stream}@${e.revision}`;
  checkMachineVersion(e, messageMachine.id, MESSAGE_MACHINE_VERSION, where);
  const next = applyEvent(messageMachine, from, machineEventOf(e), where);
  const state = stateName((next as unknown as { value: never }).value);
  return { context: next.context, summary: summaryOf(next.context, state, e, prev?.summary) };
}

/** Fold a whole stream's events. */
export function foldMessageEvents(events: Iterable<RecordedEvent>): MessageFold | undefined {
  let fold: MessageFold | undefined;
  for (const e of events) fold = foldMessage(fold, e);
  return fold;
}
