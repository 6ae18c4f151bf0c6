/**
 * The gateway's own listeners, as upstreams: a service routed to one would serve the gateway through
 * itself (the admin API on the public listener, say). Built once at start from the configuration and the
 * machine's addresses; the per-event question is a few Set lookups.
 */
import { isIP } from 'node:net';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';

export interface OwnListenerConfig {
  /** HOST of the public listener: 0.0.0.0, :: (or a name, to be safe) mean every local address. */
  publicHost: string;
  publicPort: number;
  adminPort: number;
  /** ADMIN_HOST (127.0.0.1 when absent), read as `publicHost` is. */
  adminHost?: string;
  /** With the VPN on: the gateway's VPN address, where the VPN-side listener takes port 80. */
  vpnAddress?: string;
}

export interface OwnListeners {
  /** Ports at `address` where one of the gateway's listeners answers; empty for any other machine. */
  portsAt(address: string): number[];
}

const VPN_LISTENER_PORT = 80;
const MAPPED_DOTTED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/;
const MAPPED_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * One spelling per address, as a connection would reach it: IPv6 compressed and lowercase, IPv4-mapped
 * IPv6 as IPv4, no zone, and the unspecified addresses as loopback (dialling 0.0.0.0 or :: reaches this
 * machine). Anything that is not an IP literal is returned as is.
 */
export function canonicalAddress(address: string): string {
  const plain = address.split('%')[0] ?? '';
  if (isIP(plain) === 4) return plain === '0.0.0.0' ? '127.0.0.1' : plain;
  if (isIP(plain) !== 6) return address;
  const compressed = new URL(`http://[${plain}]/`).hostname.slice(1, -1);
  const dotted = MAPPED_DOTTED.exec(compressed)?.[1];
  if (dotted) return canonicalAddress(dotted);
  const hex = MAPPED_HEX.exec(compressed);
  if (hex) {
    const [hi, lo] = [Number.parseInt(hex[1] as string, 16), Number.parseInt(hex[2] as string, 16)];
    return canonicalAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return compressed === '::' ? '::1' : compressed;
}

/** Builds the check once; `interfaces` is the machine's (os.networkInterfaces()) unless a test gives its own. */
export function ownListeners(
  config: OwnListenerConfig,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): OwnListeners {
  const local = new Set(['::1']);
  for (const list of Object.values(interfaces))
    for (const info of list ?? []) local.add(canonicalAddress(info.address));
  if (config.vpnAddress) local.add(canonicalAddress(config.vpnAddress));
  const isLocal = (a: string) => local.has(a) || (isIP(a) === 4 && a.startsWith('127.'));

  /** Whether a listener bound to `bindHost` answers at an address. */
  const boundAt = (bindHost: string): ((a: string) => boolean) => {
    const host = canonicalAddress(bindHost);
    // A wildcard binds every address; a name could resolve to any local one: treat both as all of them.
    if (isIP(host) === 0 || /^[0.:]+$/.test(bindHost)) return isLocal;
    return (a) => a === host;
  };
  const onPublic = boundAt(config.publicHost);
  const onAdmin = boundAt(config.adminHost ?? '127.0.0.1');
  const vpn = config.vpnAddress ? canonicalAddress(config.vpnAddress) : undefined;
  return {
    portsAt(address) {
      const a = canonicalAddress(address);
      const ports = new Set<number>();
      if (onPublic(a)) ports.add(config.publicPort);
      if (onAdmin(a)) ports.add(config.adminPort);
      if (a === vpn) ports.add(VPN_LISTENER_PORT);
      return [...ports];
    },
  };
}
