/**
 * Test helper: a real SMTP/LMTP server (the smtp-server package) on 127.0.0.1 and a free
 * port whose replies are scripted as data: `rcpt` maps a recipient to its RCPT reply, `mail`
 * and `data` give the MAIL FROM and DATA replies ("550 5.1.1 no such user"; unlisted → ok).
 * The server adds no enhanced codes of its own, so a reply is exactly what the script says.
 * It records each transaction (sender, MAIL args, recipients, content) and each connection.
 */
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface Received {
  from: string;
  mailArgs: Record<string, string | boolean>;
  to: string[];
  body: Buffer;
  secure: boolean;
  user?: string;
}

export interface Script {
  rcpt?: Record<string, string>;
  mail?: string;
  data?: string;
  /** Never answer the end of DATA (for timeouts). */
  stallData?: boolean;
  server?: SMTPServerOptions;
  host?: string;
  port?: number;
}

export interface Scripted {
  port: number;
  received: Received[];
  connections: number;
  close(): Promise<void>;
}

/** An Error smtp-server turns into the scripted reply. */
function replyError(reply: string): Error {
  const match = /^(\d{3}) (.*)$/s.exec(reply);
  if (!match) throw new Error(`bad scripted reply: ${reply}`);
  return Object.assign(new Error(match[2]), { responseCode: Number(match[1]) });
}

export async function scriptedServer(script: Script = {}): Promise<Scripted> {
  const state: Scripted = { port: 0, received: [], connections: 0, close: async () => undefined };
  const server = new SMTPServer({
    authOptional: true,
    hideENHANCEDSTATUSCODES: true,
    logger: false,
    closeTimeout: 1000,
    ...script.server,
    onConnect(_session, callback) {
      state.connections += 1;
      callback();
    },
    onMailFrom(_address, _session, callback) {
      callback(script.mail ? replyError(script.mail) : undefined);
    },
    onRcptTo(address, _session, callback) {
      const reply = script.rcpt?.[address.address];
      callback(reply ? replyError(reply) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom;
        state.received.push({
          from: mailFrom ? mailFrom.address : '(none)',
          mailArgs: (mailFrom ? mailFrom.args : {}) as Record<string, string | boolean>,
          to: session.envelope.rcptTo.map((r) => r.address),
          body: Buffer.concat(chunks),
          secure: session.secure,
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
        });
        if (script.stallData) return;
        callback(script.data ? replyError(script.data) : null);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(script.port ?? 0, script.host ?? '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  state.port = (server.server.address() as AddressInfo).port;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
