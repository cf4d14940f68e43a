/** Given/when/then for every state of the message machine, and histories it must refuse. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { messageMachine } from '../../machines/message.machine.js';
import { InvariantError } from '../../src/errors/mailtrailError.js';
import { given } from '../support/givenWhenThen.js';
import { ev } from '../support/messageEvents.js';

const BOB = 'bob@example.test';
const CAROL = 'carol@example.test';
const applied = [ev.received(), ev.policies()];
const attempted = [...applied, ev.attempt(1, [BOB, CAROL])];
const statuses = (ctx: { recipients: readonly { address: string; status: string }[] }) =>
  Object.fromEntries(ctx.recipients.map((r) => [r.address, r.status]));

describe('message machine', () => {
  describe('new', () => {
    it('enters received with the envelope and every recipient pending', () => {
      const out = given(messageMachine).when(ev.received());
      assert.equal(out.state, 'received');
      assert.equal(out.context.sender, 'alice@remote.test');
      assert.deepEqual(statuses(out.context), { [BOB]: 'pending', [CAROL]: 'pending' });
    });
    it('refuses anything but MessageReceived', () => {
      assert.throws(() => given(messageMachine).when(ev.policies()), InvariantError);
    });
  });

  describe('received', () => {
    it('PoliciesApplied records headers and verdicts and moves on', () => {
      const out = given(messageMachine, ev.received()).when(
        ev.policies({ headers: ['X-A: 1'], verdicts: { spam: { score: 1 } } }),
      );
      assert.equal(out.state, 'policies-applied');
      assert.deepEqual(out.context.headers, ['X-A: 1']);
      assert.deepEqual(out.context.verdicts, { spam: { score: 1 } });
    });
    it('PoliciesApplied with rewritten recipients replaces the list (Forward)', () => {
      const out = given(messageMachine, ev.received()).when(ev.policies({ recipients: ['dave@example.test'] }));
      assert.deepEqual(statuses(out.context), { 'dave@example.test': 'pending' });
    });
    it('PoliciesDeferred waits in received with the next attempt time', () => {
      const out = given(messageMachine, ev.received()).when(ev.policiesDeferred());
      assert.equal(out.state, 'received');
      assert.equal(out.context.nextAttemptAt, ev.at(5));
      assert.equal(out.context.lastReason, 'spamd down');
    });
    it("PoliciesFailed fails every pending recipient with the policy's status and ends bounced", () => {
      const out = given(messageMachine, ev.received(), ev.policiesDeferred()).when(ev.policiesFailed());
      assert.equal(out.state, 'bounced');
      assert.deepEqual(statuses(out.context), { [BOB]: 'failed', [CAROL]: 'failed' });
      assert.deepEqual(
        out.context.recipients.map((r) => [r.dsn, r.reply]),
        [
          ['5.7.1', 'message content rejected'],
          ['5.7.1', 'message content rejected'],
        ],
      );
    });
    it('PoliciesFailed after a requeue keeps the delivered recipients: delivered, with a DSN for the rest', () => {
      const out = given(messageMachine, ...attempted, ev.delivered(BOB), ev.deferred(CAROL), ev.requeued()).when(
        ev.policiesFailed(),
      );
      assert.equal(out.state, 'delivered');
      assert.deepEqual(statuses(out.context), { [BOB]: 'delivered', [CAROL]: 'failed' });
    });
    it('MessageExpired while policies keep failing bounces every recipient', () => {
      const out = given(messageMachine, ev.received(), ev.policiesDeferred()).when(ev.expired());
      assert.equal(out.state, 'bounced');
      assert.deepEqual(statuses(out.context), { [BOB]: 'failed', [CAROL]: 'failed' });
      assert.equal(out.context.recipients[0]?.dsn, '4.4.7');
    });
    it('MessageSplit ends the parent in split with its children listed', () => {
      const out = given(messageMachine, ev.received()).when(
        ev.split([
          { messageId: 'M1.1', recipients: [BOB] },
          { messageId: 'M1.2', recipients: [CAROL] },
        ]),
      );
      assert.equal(out.state, 'split');
      assert.deepEqual(out.context.children, ['M1.1', 'M1.2']);
      assert.equal(out.status, 'done');
    });
    it('refuses a split with no children', () => {
      assert.throws(() => given(messageMachine, ev.received()).when(ev.split([])), InvariantError);
    });
    it('refuses a relay attempt before policies ran', () => {
      assert.throws(
        () => given(messageMachine, ev.received()).when(ev.attempt(1, [BOB])),
        /not accepted in state received/,
      );
    });
  });

  describe('policies-applied', () => {
    it('RelayAttempted marks the recipients in flight and counts the attempt', () => {
      const out = given(messageMachine, ...applied).when(ev.attempt(1, [BOB, CAROL]));
      assert.equal(out.state, 'relay-attempted');
      assert.equal(out.context.attempts, 1);
      assert.ok(out.context.recipients.every((r) => r.inFlight));
    });
    it('refuses an attempt numbered out of sequence', () => {
      assert.throws(() => given(messageMachine, ...applied).when(ev.attempt(2, [BOB])), InvariantError);
    });
    it('refuses an attempt for a recipient the message does not have', () => {
      assert.throws(() => given(messageMachine, ...applied).when(ev.attempt(1, ['eve@example.test'])), InvariantError);
    });
  });

  describe('relay-attempted', () => {
    it('stays while a recipient is still in flight', () => {
      const out = given(messageMachine, ...attempted).when(ev.delivered(BOB));
      assert.equal(out.state, 'relay-attempted');
    });
    it('ends delivered when every recipient is delivered', () => {
      const out = given(messageMachine, ...attempted).when(ev.delivered(BOB), ev.delivered(CAROL));
      assert.equal(out.state, 'delivered');
      assert.equal(out.status, 'done');
    });
    it('ends bounced when every recipient failed for good', () => {
      const out = given(messageMachine, ...attempted).when(ev.failed(BOB), ev.failed(CAROL));
      assert.equal(out.state, 'bounced');
    });
    it('ends delivered with the failed recipients listed when outcomes are mixed', () => {
      const out = given(messageMachine, ...attempted).when(ev.delivered(BOB), ev.failed(CAROL));
      assert.equal(out.state, 'delivered');
      const carol = out.context.recipients.find((r) => r.address === CAROL);
      assert.equal(carol?.status, 'failed');
      assert.equal(carol?.dsn, '5.1.1');
      assert.equal(carol?.reply, 'user unknown');
    });
    it('goes deferred when a recipient is deferred, keeping the next attempt time', () => {
      const out = given(messageMachine, ...attempted).when(ev.delivered(BOB), ev.deferred(CAROL));
      assert.equal(out.state, 'deferred');
      assert.equal(out.context.nextAttemptAt, ev.at(6));
      assert.deepEqual(statuses(out.context), { [BOB]: 'delivered', [CAROL]: 'pending' });
    });
    it('refuses a second outcome for the same recipient', () => {
      assert.throws(() => given(messageMachine, ...attempted, ev.delivered(BOB)).when(ev.failed(BOB)), InvariantError);
    });
    it('accepts a new attempt after a crash left this one without outcomes', () => {
      const out = given(messageMachine, ...attempted, ev.delivered(BOB)).when(ev.attempt(2, [CAROL]));
      assert.equal(out.state, 'relay-attempted');
      assert.equal(out.context.attempts, 2);
      assert.deepEqual(
        out.context.recipients.filter((r) => r.inFlight).map((r) => r.address),
        [CAROL],
      );
    });
    it('refuses hold while an attempt is in flight', () => {
      assert.throws(() => given(messageMachine, ...attempted).when(ev.held()), InvariantError);
    });
  });

  describe('deferred', () => {
    const deferred = [...attempted, ev.delivered(BOB), ev.deferred(CAROL)];
    it('a new attempt carries only the pending recipients', () => {
      const out = given(messageMachine, ...deferred).when(ev.attempt(2, [CAROL]), ev.delivered(CAROL));
      assert.equal(out.state, 'delivered');
    });
    it('refuses an attempt for an already delivered recipient', () => {
      assert.throws(() => given(messageMachine, ...deferred).when(ev.attempt(2, [BOB])), InvariantError);
    });
    it('MessageRequeued runs the policies again: settled recipients keep their outcome, pending ones are rewritten', () => {
      const requeued = given(messageMachine, ...deferred).when(ev.requeued());
      assert.equal(requeued.state, 'received');
      assert.deepEqual(
        {
          headers: requeued.context.headers,
          policiesApplied: requeued.context.policiesApplied,
          next: requeued.context.nextAttemptAt,
        },
        { headers: [], policiesApplied: false, next: ev.at(24) },
      );
      const out = given(messageMachine, ...deferred).when(
        ev.requeued(),
        ev.policies({ recipients: ['carol@elsewhere.test'] }),
      );
      assert.equal(out.state, 'policies-applied');
      assert.deepEqual(
        out.context.recipients.map((r) => [r.address, r.status]),
        [
          [BOB, 'delivered'],
          ['carol@elsewhere.test', 'pending'],
        ],
      );
      assert.equal(out.context.attempts, 1, 'the attempts so far are kept');
    });
    it('MessageRequeued is accepted when held, refused in received and while an attempt is in flight', () => {
      assert.equal(given(messageMachine, ...deferred).when(ev.held(), ev.requeued()).state, 'received');
      assert.throws(() => given(messageMachine, ev.received()).when(ev.requeued()), InvariantError);
      assert.throws(() => given(messageMachine, ...attempted).when(ev.requeued()), InvariantError);
    });
    it('RetryRequested brings the next attempt forward', () => {
      const out = given(messageMachine, ...deferred).when(ev.retry());
      assert.equal(out.state, 'deferred');
      assert.equal(out.context.nextAttemptAt, ev.at(22));
    });
    it('MessageExpired fails the pending recipients with their last status; mixed ends delivered', () => {
      const out = given(messageMachine, ...deferred).when(ev.expired());
      assert.equal(out.state, 'delivered');
      const carol = out.context.recipients.find((r) => r.address === CAROL);
      assert.equal(carol?.status, 'failed');
      assert.equal(carol?.dsn, '4.2.0');
      assert.match(carol?.reply ?? '', /message expired: mailbox busy/);
    });
    it('MessageExpired with nothing delivered ends bounced', () => {
      const out = given(messageMachine, ...attempted, ev.deferred(BOB), ev.deferred(CAROL)).when(ev.expired());
      assert.equal(out.state, 'bounced');
    });
    it('MessageBounced by an operator ends bounced', () => {
      const out = given(messageMachine, ...attempted, ev.deferred(BOB), ev.deferred(CAROL)).when(ev.bounced());
      assert.equal(out.state, 'bounced');
      assert.ok(out.context.recipients.every((r) => r.status === 'failed'));
    });
    it('MessageBounced of a partly delivered message ends bounced; the bounced recipient fails with 5.0.0, not its last 4.x.x', () => {
      const out = given(
        messageMachine,
        ...attempted,
        ev.delivered(BOB),
        ev.deferred(CAROL, { status: '4.4.1', reply: 'connection refused' }),
      ).when(ev.bounced());
      assert.equal(out.state, 'bounced');
      const [bob, carol] = [BOB, CAROL].map((a) => out.context.recipients.find((r) => r.address === a)!);
      assert.deepEqual([bob!.status, bob!.dsn], ['delivered', '2.0.0']);
      assert.deepEqual([carol!.status, carol!.dsn], ['failed', '5.0.0']);
      assert.match(carol!.reply ?? '', /last attempt: 4\.4\.1 connection refused/);
    });
  });

  describe('held', () => {
    it('a held message released before its policies ran goes back to received', () => {
      const out = given(messageMachine, ev.received(), ev.held()).when(ev.released());
      assert.equal(out.state, 'received');
    });
    it('a held message released after its policies ran is due at once', () => {
      const out = given(messageMachine, ...applied, ev.held()).when(ev.released());
      assert.equal(out.state, 'deferred');
      assert.equal(out.context.nextAttemptAt, ev.at(21));
    });
    it('refuses a relay attempt while held', () => {
      assert.throws(() => given(messageMachine, ...applied, ev.held()).when(ev.attempt(1, [BOB])), InvariantError);
    });
  });

  describe('final states', () => {
    for (const [name, history] of [
      ['delivered', [...attempted, ev.delivered(BOB), ev.delivered(CAROL)]],
      ['bounced', [...attempted, ev.failed(BOB), ev.failed(CAROL)]],
      ['deleted', [...applied, ev.deleted()]],
      ['split', [ev.received(), ev.split([{ messageId: 'M1.1', recipients: [BOB] }])]],
    ] as const) {
      it(`${name} is final and accepts nothing more`, () => {
        const g = given(messageMachine, ...history);
        assert.equal(g.then().state, name);
        assert.equal(g.then().status, 'done');
        assert.throws(() => g.when(ev.retry()), InvariantError);
        assert.throws(() => g.when(ev.deleted()), InvariantError);
      });
    }
  });

  describe('AttemptClaimed (shared logs)', () => {
    it('a claim before the attempt stays in the state and names the node and its lease', () => {
      const out = given(messageMachine, ...applied).when(ev.claimed('mx1', 1, 5, 1));
      assert.equal(out.state, 'policies-applied');
      assert.deepEqual(out.context.claim, { node: 'mx1', leaseUntil: ev.at(5) });
      const then = given(messageMachine, ...applied, ev.claimed('mx1', 1, 5, 1)).when(ev.attempt(1, [BOB, CAROL]));
      assert.equal(then.state, 'relay-attempted');
    });
    it('while the lease runs, the holder renews it and another node is refused', () => {
      const running = [...applied, ev.claimed('mx1', 1, 5, 1), ev.attempt(1, [BOB, CAROL])];
      const renewed = given(messageMachine, ...running).when(ev.claimed('mx1', 1, 9, 3));
      assert.equal(renewed.state, 'relay-attempted');
      assert.deepEqual(renewed.context.claim, { node: 'mx1', leaseUntil: ev.at(9) });
      assert.throws(() => given(messageMachine, ...running).when(ev.claimed('mx2', 2, 9, 4)), InvariantError);
    });
    it('once the lease ran out, another node takes the attempt over with a new one', () => {
      const running = [...applied, ev.claimed('mx1', 1, 5, 1), ev.attempt(1, [BOB, CAROL])];
      const taken = given(messageMachine, ...running, ev.claimed('mx2', 2, 12, 6)).when(ev.attempt(2, [BOB, CAROL]));
      assert.equal(taken.state, 'relay-attempted');
      assert.equal(taken.context.attempts, 2);
      assert.deepEqual(taken.context.claim, { node: 'mx2', leaseUntil: ev.at(12) });
    });
    it('the claim ends with its attempt: a deferred message may be claimed by any node', () => {
      const deferred = [
        ...applied,
        ev.claimed('mx1', 1, 50, 1),
        ev.attempt(1, [BOB, CAROL]),
        ev.deferred(BOB),
        ev.deferred(CAROL),
      ];
      const out = given(messageMachine, ...deferred).when(ev.claimed('mx2', 2, 55, 7));
      assert.equal(out.state, 'deferred');
      assert.deepEqual(out.context.claim, { node: 'mx2', leaseUntil: ev.at(55) });
    });
    it('is refused where no attempt can start (received, held, final)', () => {
      assert.throws(() => given(messageMachine, ev.received()).when(ev.claimed('mx1', 1, 5, 1)), InvariantError);
      assert.throws(
        () => given(messageMachine, ...applied, ev.held()).when(ev.claimed('mx1', 1, 25, 21)),
        InvariantError,
      );
    });
  });
});
