/** Renders the OpenVPN server's `server.conf` (OpenVPN 2.6; the less obvious directives say why). */
import { z } from 'zod';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { ConfigHost, ConfigPath, ConfigPort } from './config-values.ts';
import { parseSubnet, type VpnSubnet } from './ipam.ts';

export const ServerConfigOptions = z.object({
  /** CIDR, e.g. 172.16.0.0/16; the server takes .1. */
  subnet: z.string(),
  proto: z.enum(['udp', 'tcp-server']),
  port: ConfigPort,
  /** Underlay address to bind; absent: all addresses. */
  listen: ConfigHost.optional(),
  /** tun device name; fixed so readiness can check its address. */
  device: z.string().regex(/^[a-z][a-z0-9]{0,14}$/, 'an interface name'),
  ca: ConfigPath,
  cert: ConfigPath,
  key: ConfigPath,
  tlsCrypt: ConfigPath,
  crl: ConfigPath,
  /** Unix socket the gateway's management client connects to (sun_path holds 107 bytes). */
  managementSocket: ConfigPath.refine((p) => p.length <= 100, 'a socket path of at most 100 characters'),
  verb: z.number().int().min(0).max(11),
});
export type ServerConfigOptions = z.input<typeof ServerConfigOptions>;

/** Validates `options` (GW_ERR_BAD_CONFIG naming the first bad field) and returns the config text. */
export function renderServerConfig(options: ServerConfigOptions): string {
  const parsed = ServerConfigOptions.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GatewayError(
      ErrorCode.BadConfig,
      `OpenVPN server option ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`,
      500,
    );
  }
  const o = parsed.data;
  const subnet: VpnSubnet = parseSubnet(o.subnet);
  const lines = [
    `dev ${o.device}`,
    'dev-type tun',
    'topology subnet',
    // Every address is pushed by the gateway (ifconfig-push), so OpenVPN's own pool stays empty.
    `server ${subnet.network} ${subnet.netmask} nopool`,
    `proto ${o.proto}`,
    `port ${o.port}`,
    ...(o.listen ? [`local ${o.listen}`] : []),
    `ca ${o.ca}`,
    `cert ${o.cert}`,
    `key ${o.key}`,
    'dh none',
    `tls-crypt ${o.tlsCrypt}`,
    `crl-verify ${o.crl}`,
    'remote-cert-tls client',
    'tls-version-min 1.2',
    // Pushed to clients as ping 5, ping-restart 12: a client notices a dead gateway 7-12 s after it died
    // (its last ping came up to 5 s before), then retries that address for server-poll-timeout (5 s)
    // before the next: back within 20 s (with 15 the pool test measured 21.4 s).
    'keepalive 5 12',
    // On SIGTERM UDP clients are told to restart at once; 2: at the NEXT address or remote, not this one
    // (with 1 a client waits out its handshake on the leaving server first: 62 s measured, 1-2 s with 2;
    // gateway/pool/README.md).
    ...(o.proto === 'udp' ? ['explicit-exit-notify 2'] : []),
    `management ${o.managementSocket} unix`,
    'management-client-auth',
    // OpenVPN waits for the gateway's "hold release": a client that connects before the gateway's management
    // client is attached would otherwise wait out its whole handshake window for an auth nobody was told of.
    'management-hold',
    // Without it, certificate-only clients loop on "Auth Username/Password was not provided by peer".
    'auth-user-pass-optional',
    `verb ${o.verb}`,
  ];
  return `${lines.join('\n')}\n`;
}
