/** What each runtime adapter passes to the Hono apps along with the Request. */
export interface ConnectionInfo {
  /** The peer's address as the socket saw it (IPv4-mapped IPv6 already unwrapped). */
  remoteAddress: string;
  /** Which listener took the request: the public one, or the VPN-side one. */
  listener: 'public' | 'vpn';
}

/** Per-request values the control app's middleware sets. */
export interface ControlVariables {
  /** The request's id (a trusted peer's `X-Request-Id`, else generated): in every log line about it. */
  requestId: string;
}

export type ControlEnv = { Bindings: ConnectionInfo; Variables: ControlVariables };

/** `::ffff:127.0.0.1` -> `127.0.0.1`. */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
