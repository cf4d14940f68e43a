/**
 * The edge's life cycle and the client facts it hands the queue: several listen addresses,
 * a port already taken (start() rejects, nothing left listening), stop() closing an open
 * session with 421 after `closeTimeout`, and an SMTPUTF8
 * transaction recorded as UTF8SMTP (RFC 6531) with `smtputf8` on MessageReceived.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ListenError, SmtpEdge } from '../../src/edge/index.js';
import { converse } from './conversation.js';
import { message, queuedId, startEdge, until } from './edgeHarness.js';

const session = (to = 'bob@example.test') => [
  { server: /^220 / },
  { client: 'EHLO client.example.org' },
  { server: /^250-/ },
  { client: 'MAIL FROM:<alice@remote.test>' },
  { server: '250 2.1.0 Accepted' },
  { client: `RCPT TO:<${to}>` },
  { server: '250 2.1.5 Accepted' },
  { client: 'QUIT' },
  { server: '221 2.0.0 Bye' },
];

describe('SmtpEdge life cycle', () => {
  it('listens on every address given and serves on each', async () => {
    const e = await startEdge();
    const second = new SmtpEdge(
      {
        listen: [
          { host: '127.0.0.1', port: 0 },
          { host: '127.0.0.1', port: 0 },
        ],
        hostname: 'mx.example.test',
        domains: ['example.test'],
        reverseLookup: false,
        log: e.h.log,
      },
      e.h.queue,
    );
    try {
      const bound = await second.start();
      assert.equal(bound.length, 2);
      assert.notEqual(bound[0]?.port, bound[1]?.port);
      for (const b of bound) await converse(b.port, session());
    } finally {
      await second.stop();
      await e.close();
    }
  });

  it('stop() lets an open session finish for closeTimeout, then closes it with 421 and resolves', async () => {
    const e = await startEdge({ closeTimeout: 200 });
    const socket = connect(e.port, '127.0.0.1');
    let seen = '';
    const gotGreeting = new Promise<void>((resolve) =>
      socket.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('220 ')) resolve();
      }),
    );
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    try {
      await gotGreeting;
      socket.write('EHLO client.example.org\r\n');
      await until(() => seen.includes('250 '), 'the EHLO reply');
      await e.edge.stop();
      await closed;
      assert.match(seen, /^421 .*shutting down/m);
      assert.equal(e.edge.connections, 0);
    } finally {
      socket.destroy();
      await e.close();
    }
  });

  it('start() rejects when the port is taken and leaves nothing listening', async () => {
    const e = await startEdge();
    const clash = new SmtpEdge(
      {
        listen: [
          { host: '127.0.0.1', port: 0 },
          { host: '127.0.0.1', port: e.port },
        ],
        hostname: 'mx.example.test',
        log: e.h.log,
      },
      e.h.queue,
    );
    try {
      await assert.rejects(
        clash.start(),
        (err: unknown) =>
          err instanceof ListenError &&
          (err.cause as NodeJS.ErrnoException).code === 'EADDRINUSE' &&
          /address already in use/.test(err.message),
      );
      assert.equal(clash.connections, 0);
      await converse(e.port, session());
    } finally {
      await e.close();
    }
  });

  it('an SMTPUTF8 message is queued as UTF8SMTP with smtputf8 set', async () => {
    const e = await startEdge();
    try {
      const seen = await converse(e.port, [
        { server: /^220 / },
        { client: 'EHLO client.example.org' },
        { server: /^250-/ },
        { client: 'MAIL FROM:<álice@remote.test> SMTPUTF8' },
        { server: '250 2.1.0 Accepted' },
        { client: 'RCPT TO:<bob@example.test>' },
        { server: '250 2.1.5 Accepted' },
        { client: 'DATA' },
        { server: /^354 / },
        { raw: message('ünïcode') },
        { server: /^250 2\.0\.0 Ok: queued as / },
      ]);
      const [received] = await e.events(`message-${queuedId(seen)}`);
      const data = received?.data as { sender: string; smtputf8?: boolean; client: { protocol: string } };
      assert.equal(data.sender, 'álice@remote.test');
      assert.equal(data.smtputf8, true);
      assert.equal(data.client.protocol, 'UTF8SMTP');
    } finally {
      await e.close();
    }
  });
});
