/**
 * What the sanitizer lets out: secret fields redacted at any depth, body-like fields omitted,
 * addresses masked in any string (or shown when asked), and the same through a real
 * InspectorClient → relay → viewer for an actor whose events and context carry such fields.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assign, createActor, setup } from 'xstate';
import { InspectorClient } from '../../src/inspect/inspectorClient.js';
import { InspectorRelay } from '../../src/inspect/inspectorRelay.js';
import { OMITTED, REDACTED, createSanitizer, maskAddress } from '../../src/inspect/sanitize.js';
import { Viewer } from './viewer.js';

describe('sanitizer', () => {
  it('masks every address in a string, keeping one character and the domain', () => {
    assert.equal(maskAddress('bob@example.test'), 'b***@example.test');
    assert.equal(
      maskAddress('550 5.1.1 <carol.smith@mail.example.org> unknown, from <>'),
      '550 5.1.1 <c***@mail.example.org> unknown, from <>',
    );
    assert.equal(maskAddress('jörg@bücher.example'), 'j***@bücher.example');
    assert.equal(maskAddress('no address here, 2 @ 3'), 'no address here, 2 @ 3');
  });

  it('redacts secrets and omits bodies at any depth; show mode keeps addresses', () => {
    const value = {
      type: 'X',
      auth: { user: 'alice@remote.test', password: 'p', Pass: 'q', 'api-key': 'k' },
      list: [{ token: 't', body: 'the body', subject: 'Re: salary' }],
      text: '',
      sender: 'alice@remote.test',
    };
    assert.deepEqual(createSanitizer()(value), {
      type: 'X',
      auth: { user: 'a***@remote.test', password: REDACTED, Pass: REDACTED, 'api-key': REDACTED },
      list: [{ token: REDACTED, body: OMITTED, subject: OMITTED }],
      text: '',
      sender: 'a***@remote.test',
    });
    assert.equal((createSanitizer({ addresses: 'show' })(value) as { sender: string }).sender, 'alice@remote.test');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(createSanitizer()(cyclic), '[unserializable]');
  });

  it('applies to what an actor reports through the client and the relay', async () => {
    const relay = new InspectorRelay({ port: 0 });
    const address = await relay.start();
    const client = new InspectorClient();
    client.connect(address.reporterUrl);
    try {
      assert.ok(await client.waitConnected());
      const viewer = await Viewer.open(address.viewerUrl);
      const machine = setup({
        types: {
          context: {} as { user: string; password: string },
          events: {} as { type: 'Login'; user: string; password: string; body: string },
        },
      }).createMachine({
        id: 'login',
        context: { user: '', password: '' },
        initial: 'out',
        states: {
          out: {
            on: {
              Login: { target: 'in', actions: assign(({ event }) => ({ user: event.user, password: event.password })) },
            },
          },
          in: {},
        },
      });
      const actor = createActor(machine, { inspect: client.inspect }).start();
      actor.send({ type: 'Login', user: 'dave@example.test', password: 'hunter2-never', body: 'BODY-never' });
      const login = await viewer.until(
        () => viewer.messages.find((m) => m.event?.type === 'Login' && m.type === '@xstate.event'),
        'the Login event',
      );
      assert.deepEqual(login.event, { type: 'Login', user: 'd***@example.test', password: REDACTED, body: OMITTED });
      const after = await viewer.until(
        () => viewer.messages.find((m) => m.type === '@xstate.snapshot' && m.snapshot?.value === 'in'),
        'the snapshot',
      );
      assert.deepEqual(after.snapshot?.context, { user: 'd***@example.test', password: REDACTED });
      assert.ok(
        !viewer.text.includes('hunter2-never') && !viewer.text.includes('BODY-never') && !viewer.text.includes('dave@'),
      );
      viewer.close();
    } finally {
      await client.close();
      await relay.stop();
    }
  });
});
