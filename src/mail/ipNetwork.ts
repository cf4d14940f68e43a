/**
 * IP addresses and CIDR networks as written in configuration (`127.0.0.1`, `10.0.0.0/8`,
 * `::1`, `fd00::/8`): `parseNetwork` checks one entry, `networkList` builds node's BlockList
 * of them, `bareAddress` turns an IPv4-mapped peer (`::ffff:127.0.0.2`) into its IPv4 form.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface Network {
  readonly address: string;
  readonly type: 'ipv4' | 'ipv6';
  /** Undefined for a single address. */
  readonly prefix?: number;
}

/** The network an entry names, or undefined when it is not an address or address/prefix. */
export function parseNetwork(entry: string): Network | undefined {
  const [address = '', bits, extra] = entry.split('/');
  const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!type || extra !== undefined) return undefined;
  if (bits === undefined) return { address, type };
  const prefix = Number(bits);
  if (!/^\d{1,3}$/.test(bits) || prefix > (type === 'ipv4' ? 32 : 128)) return undefined;
  return { address, type, prefix };
}

/** A BlockList of the entries; throws a TypeError naming the first one that is not valid. */
export function networkList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const n = parseNetwork(entry);
    if (!n) throw new TypeError(`not an IP address or network: ${JSON.stringify(entry)}`);
    if (n.prefix === undefined) list.addAddress(n.address, n.type);
    else list.addSubnet(n.address, n.prefix, n.type);
  }
  return list;
}

/** The bare IP of a peer: `::ffff:127.0.0.2` is `127.0.0.2`; lower case. */
export function bareAddress(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').toLowerCase();
}

/** Is `address` in the list? False for something that is not an IP address. */
export function listed(list: BlockList, address: string): boolean {
  const ip = bareAddress(address);
  const type = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  return type !== undefined && list.check(ip, type);
}
