/**
 * The edge could not listen on an address: what is in the way, in words, with the address
 * (not node's bare `listen EADDRINUSE: address already in use`), so a failed start says what
 * to change. `mailtrail run` exits 70 (cli/startFailure.ts).
 */
import { MailtrailError } from '../errors/mailtrailError.js';
import type { ListenAddress } from './listenAddress.js';

function reasonOf(err: NodeJS.ErrnoException, port: number): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'address already in use: another program (or another mailtrail) listens there';
    case 'EADDRNOTAVAIL':
      return 'not an address of this host';
    case 'EACCES':
      return port < 1024
        ? `permission denied: port ${port} needs root (or CAP_NET_BIND_SERVICE) to be bound; start mailtrail as root with \`user\` set, it drops privileges after binding`
        : 'permission denied';
    default:
      return err.message;
  }
}

export class ListenError extends MailtrailError {
  readonly address: ListenAddress;
  constructor(host: string, port: number, cause: unknown) {
    const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const reason = cause instanceof Error ? reasonOf(cause as NodeJS.ErrnoException, port) : String(cause);
    super('ERR_LISTEN', `cannot listen on ${where} (smtp.listen): ${reason}`, { cause });
    this.address = { host, port };
  }
}
