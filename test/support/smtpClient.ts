/**
 * Sends one message over SMTP with nodemailer's SMTPConnection (a client nobody here wrote).
 * Resolves with the server's final reply to DATA (e.g. "250 2.0.0 Ok: queued as …"), or
 * rejects with the error the client saw (a refused reply, a dropped connection).
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';

export interface SendInput {
  readonly host?: string;
  readonly port: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly body: string | Buffer;
  readonly name?: string;
}

export function smtpSend(input: SendInput): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = new SMTPConnection({
      host: input.host ?? '127.0.0.1',
      port: input.port,
      name: input.name ?? 'client.test',
      ignoreTLS: true,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    let settled = false;
    const finish = (err: Error | null, reply?: string) => {
      if (settled) return;
      settled = true;
      try {
        conn.quit();
      } catch {
        /* already closed */
      }
      if (err) reject(err);
      else resolve(reply ?? '');
    };
    conn.on('error', (err) => finish(err));
    conn.on('end', () => finish(new Error('connection closed by the server')));
    conn.connect(() => {
      conn.send({ from: input.from, to: [...input.to] }, input.body, (err, info) => {
        if (err) finish(err);
        else finish(null, info.response);
      });
    });
  });
}
