/**
 * python-slimta's "Mail Delivery Agent" tutorial, step by step, in TypeScript with mailtrail.
 * In your own project import from 'mailtrail'; here the sources are imported directly.
 *
 * Run:   node --import tsx examples/mda.ts
 * Env:   MDA_DIR (storage, default ./var-mda), MDA_HOST/MDA_PORT (default 127.0.0.1:2525),
 *        MDA_DOMAIN (accepted recipient domain, default slimta.org),
 *        MAILDROP_FILTER (a maildrop filter file setting DEFAULT, given {user} and {domain} as
 *        $1 and $2 — docs/relays.md's virtual-mailbox filter; default: maildrop -d <user>),
 *        MDA_OUTBOUND (where bounces to remote senders go: `mx` for MX lookup, or host[:port];
 *        unset, they wait in the queue and never reach maildrop),
 *        SPAMD_HOST/SPAMD_PORT (scan with spamd when set), TLS_KEY/TLS_CERT (STARTTLS),
 *        MDA_USER/MDA_GROUP (drop privileges after binding, when run as root; MDA_DIR, its
 *        spool/bodies and events.sqlite must then belong to that user).
 * Prints one line `listening on <host>:<port>` once it accepts mail; SIGINT/SIGTERM stop it.
 */
import {
  AddDateHeader,
  AddMessageIdHeader,
  AddReceivedHeader,
  MaildropRelay,
  Queue,
  SmtpEdge,
  SmtpRelay,
  SmtpValidators,
  SpamAssassin,
  SqliteStorage,
  dropPrivileges,
  type SmtpReply,
} from '../src/index.js';
import { hostname } from 'node:os';

const env = process.env;
const domain = (env.MDA_DOMAIN ?? 'slimta.org').toLowerCase();
const helo = hostname();

/** `mx`: the recipient domain's MX; `host[:port]`: a smarthost. */
function outboundRelay(spec: string): SmtpRelay {
  if (spec === 'mx') return new SmtpRelay({ helo });
  const [host, port] = spec.split(':');
  return new SmtpRelay({ helo, host: host!, port: Number(port ?? 25), mx: false });
}

// Step 1: Create the Relay. Transient errors when maildrop takes longer than 10 s; a clear
// error right here if the maildrop command does not exist.
const relay = new MaildropRelay({
  timeout: 10_000,
  ...(env.MAILDROP_FILTER ? { args: [env.MAILDROP_FILTER, '{user}', '{domain}'] } : {}),
});

// Bounces (DSNs) to senders elsewhere go out over SMTP, never to maildrop: with `-d {user}`
// as root it would deliver a bounce for alice@remote.test to a local user alice.
const outbound = env.MDA_OUTBOUND ? outboundRelay(env.MDA_OUTBOUND) : undefined;

// Step 2: Create the Queue, on a storage that survives restarts (an event log and a spool).
// Only DSNs to senders at our own domain go to the relay.
const storage = new SqliteStorage(env.MDA_DIR ?? './var-mda');
const queue = new Queue(storage, relay, { localDomains: [domain], ...(outbound ? { outbound } : {}) });

// Step 3: Add Queue Policies: the headers an MDA adds, and a spam scan that maildrop can use
// to file spam into a quarantine folder (X-Spam-Flag: YES).
queue.addPrequeuePolicy(new AddDateHeader());
queue.addPrequeuePolicy(new AddMessageIdHeader());
queue.addPrequeuePolicy(new AddReceivedHeader());
if (env.SPAMD_PORT)
  queue.addPrequeuePolicy(new SpamAssassin({ host: env.SPAMD_HOST ?? '127.0.0.1', port: Number(env.SPAMD_PORT) }));

// Step 4: Create the Edge, accepting only recipients we host.
class MyValidators extends SmtpValidators {
  override handleRcpt(reply: SmtpReply, recipient: string): void {
    const at = recipient.lastIndexOf('@');
    if (at < 1) {
      Object.assign(reply, { code: 550, enhanced: '5.7.1', message: `<${recipient}> Not a valid address` });
      return;
    }
    if (recipient.slice(at + 1).toLowerCase() !== domain) {
      Object.assign(reply, { code: 550, enhanced: '5.7.1', message: `<${recipient}> Not authenticated` });
    }
  }
}

const tls = env.TLS_KEY && env.TLS_CERT ? { key: env.TLS_KEY, cert: env.TLS_CERT } : undefined;
const edge = new SmtpEdge({ host: env.MDA_HOST ?? '127.0.0.1', port: Number(env.MDA_PORT ?? 2525) }, queue, {
  ...(tls ? { tls } : {}),
  validators: MyValidators,
});
// The queue starts working (and resumes whatever the log says was left unfinished), then the
// edge starts accepting mail.
await queue.start();
const [bound] = await edge.start();

// Step 5: Daemonizing. Ports are bound: drop root privileges if asked. The storage's files,
// made as root until now, go to that user first, and the drop checks it can write them. (Run in
// the foreground under systemd rather than detaching; see docs/operations.md.)
if (env.MDA_USER) dropPrivileges(env.MDA_USER, env.MDA_GROUP, storage.files());

// Step 6: Profit.
process.stdout.write(`listening on ${bound!.host}:${bound!.port}\n`);
const stop = async () => {
  await edge.stop();
  await queue.stop();
  await outbound?.close();
  await storage.close();
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
