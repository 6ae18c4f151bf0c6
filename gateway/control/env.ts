/** What each runtime adapter passes to the Hono apps along with the Request. */
export interface ConnectionInfo {
  /** The peer's address as the socket saw it (IPv4-mapped IPv6 already unwrapped). */
  remoteAddress: string;
  /** Which listener took the request: the public one, or the VPN-side one. */
  listener: 'public' | 'vpn';
}

export type ControlEnv = { Bindings: ConnectionInfo };

/** `::ffff:127.0.0.1` -> `127.0.0.1`. */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
