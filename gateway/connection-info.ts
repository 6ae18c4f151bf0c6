/**
 * What each runtime adapter knows of a request's connection: its peer and the listener that took it.
 * Neutral ground: the control app reads it as its Hono bindings, the VPN checks a container's source by it.
 */
export interface ConnectionInfo {
  /** The peer's address as the socket saw it (IPv4-mapped IPv6 already unwrapped). */
  remoteAddress: string;
  /** Which listener took the request: the public one, or the VPN-side one. */
  listener: 'public' | 'vpn';
}

/** `::ffff:127.0.0.1` -> `127.0.0.1`. */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
