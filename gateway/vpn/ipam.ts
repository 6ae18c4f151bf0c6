/**
 * VPN address arithmetic: the subnet, its gateway address (.1) and which addresses may go to containers
 * (never the network address, the gateway or the broadcast address). Stores keep the allocations;
 * this file only decides which address comes next.
 */
import { ErrorCode, GatewayError } from '../../shared/errors.ts';

export const DEFAULT_VPN_SUBNET = '172.16.0.0/16';

export interface VpnSubnet {
  cidr: string;
  network: string;
  prefix: number;
  /** Dotted netmask, as `server` and `ifconfig-push` want it. */
  netmask: string;
  /** The gateway's own VPN address: network + 1. */
  gateway: string;
  /** Container addresses: first..last inclusive, as integers. */
  first: number;
  last: number;
  /** How many containers fit. */
  capacity: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const CIDR = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/;

/** The address as an unsigned 32-bit integer, or undefined when it is not a dotted quad. */
export function ipToInt(address: string): number | undefined {
  const m = IPV4.exec(address);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((n, o) => n * 256 + o, 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const badSubnet = (cidr: string, why: string) =>
  new GatewayError(ErrorCode.BadConfig, `VPN_SUBNET: ${why}, got ${JSON.stringify(cidr)}`, 500);

/** Parses `a.b.c.d/len` (the network address itself, prefix 8..29); throws GW_ERR_BAD_CONFIG. */
export function parseSubnet(cidr: string): VpnSubnet {
  const m = CIDR.exec(cidr);
  const base = m?.[1] === undefined ? undefined : ipToInt(m[1]);
  const prefix = Number(m?.[2]);
  if (base === undefined) throw badSubnet(cidr, 'expected an IPv4 network like 172.16.0.0/16');
  if (!(prefix >= 8 && prefix <= 29)) throw badSubnet(cidr, 'expected a prefix length from 8 to 29');
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw badSubnet(cidr, 'host bits are set; use the network address');
  return {
    cidr,
    network: intToIp(base),
    prefix,
    netmask: intToIp(2 ** 32 - size),
    gateway: intToIp(base + 1),
    first: base + 2,
    last: base + size - 2,
    capacity: size - 3,
  };
}

/** True when `address` may be given to a container in `subnet`. */
export function isContainerAddress(subnet: VpnSubnet, address: string): boolean {
  const n = ipToInt(address);
  return n !== undefined && n >= subnet.first && n <= subnet.last;
}

/**
 * The first free container address at or after `cursor` (wrapping once around the pool), so released
 * addresses are reused last and a stale route is unlikely to reach a new container.
 * Throws GW_ERR_ADDRESS_POOL_EXHAUSTED when every address is taken.
 */
export function nextFreeAddress(
  subnet: VpnSubnet,
  isTaken: (address: string) => boolean,
  cursor: number = subnet.first,
): string {
  const start = cursor >= subnet.first && cursor <= subnet.last ? cursor : subnet.first;
  for (let i = 0; i < subnet.capacity; i++) {
    const n = subnet.first + ((start - subnet.first + i) % subnet.capacity);
    const address = intToIp(n);
    if (!isTaken(address)) return address;
  }
  throw new GatewayError(
    ErrorCode.AddressPoolExhausted,
    `no free VPN address left in ${subnet.cidr} (${subnet.capacity} containers)`,
    503,
  );
}
