/**
 * The command-line spellings shared by `run --inspect[=PORT] [--inspect-addresses=show|mask]`
 * and `mailtrail inspect --port P --addresses show|mask`: an empty value means the default
 * port 8080, 0 asks for a free one; anything else that is not a port is a usage error (64).
 */
import { MailtrailError } from '../errors/mailtrailError.js';
import { DEFAULT_INSPECT_PORT } from './inspectorRelay.js';
import type { AddressMode } from './sanitize.js';

export function parseInspectPort(value: string, flag = '--inspect=PORT'): number {
  if (value === '') return DEFAULT_INSPECT_PORT;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new MailtrailError('ERR_USAGE', `${flag}: not a port number: ${JSON.stringify(value)}`);
  return Number(value);
}

export function parseAddressMode(value: string | undefined, flag = '--inspect-addresses'): AddressMode {
  if (value === undefined || value === 'mask') return 'mask';
  if (value === 'show') return 'show';
  throw new MailtrailError('ERR_USAGE', `${flag}: show or mask, not ${JSON.stringify(value)}`);
}
