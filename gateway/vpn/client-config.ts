/**
 * What a container receives from `GET /collab/vpn-config`: the legacy shape (four files and a config
 * template with the literal GATEWAY_FQDN) or one inline `.ovpn`. Only client material and public
 * server facts (CA, port, server CN) go in: never gateway paths, PIDs or internal hostnames.
 */
import { z } from 'zod';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { LegacyVpnConfig } from '../../shared/protocol.ts';
import { ConfigCommonName, ConfigHost, ConfigPort, InlineBlock } from './config-values.ts';

/** The text legacy clients replace with their gateway host. */
export const GATEWAY_FQDN_PLACEHOLDER = 'GATEWAY_FQDN';

/** One gateway's OpenVPN as containers reach it. */
export const VpnRemote = z.object({ host: ConfigHost, port: ConfigPort });
export type VpnRemote = z.infer<typeof VpnRemote>;

/** OpenVPN takes at most 64 connection entries (`remote` lines). */
export const MAX_REMOTES = 64;

export const ClientConfigOptions = z.object({
  proto: z.enum(['udp', 'tcp']),
  port: ConfigPort,
  serverCommonName: ConfigCommonName,
  /** The host in `remote`; absent: the GATEWAY_FQDN placeholder. */
  remoteHost: ConfigHost.optional(),
  /**
   * Every live gateway of the pool (inline `.ovpn` only): one `remote` line each, with `remote-random` so
   * containers spread; empty or absent: the single `remoteHost` line.
   */
  remotes: z.array(VpnRemote).max(MAX_REMOTES).optional(),
});
export type ClientConfigOptions = z.input<typeof ClientConfigOptions>;

/** One container's material. */
export const ClientMaterial = z.object({
  caCertPem: InlineBlock,
  certPem: InlineBlock,
  keyPem: InlineBlock,
  tlsCryptKey: InlineBlock,
});
export type ClientMaterial = z.infer<typeof ClientMaterial>;

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new GatewayError(
    ErrorCode.Internal,
    `${what} ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    500,
  );
}

function remoteLines(o: z.infer<typeof ClientConfigOptions>): string[] {
  const remotes = o.remotes ?? [];
  if (remotes.length === 0) return [`remote ${o.remoteHost ?? GATEWAY_FQDN_PLACEHOLDER} ${o.port}`];
  const lines = remotes.map((r) => `remote ${r.host} ${r.port}`);
  return remotes.length > 1 ? [...lines, 'remote-random'] : lines;
}

function commonLines(o: z.infer<typeof ClientConfigOptions>): string[] {
  return [
    'client',
    'dev tun',
    `proto ${o.proto === 'tcp' ? 'tcp-client' : 'udp'}`,
    ...remoteLines(o),
    'nobind',
    'connect-retry 1 1',
    // Leave a silent address (a dead gateway) after 5 s, not OpenVPN's 60 s (UDP) or 120 s (TCP)
    // (gateway/pool/README.md): legacy loops restart OpenVPN after about 12 s, always at the first address.
    'server-poll-timeout 5',
    'remote-cert-tls server',
    `verify-x509-name ${o.serverCommonName} name`,
    'verb 3',
  ];
}

const block = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

/**
 * The legacy answer. The config ends with a newline because legacy clients append
 * `auth-user-pass ...` and `auth-nocache` lines to it.
 */
export function renderLegacyVpnConfig(
  material: ClientMaterial,
  options: ClientConfigOptions,
): LegacyVpnConfig {
  const m = parse(ClientMaterial, material, 'client material');
  const o = parse(ClientConfigOptions, options, 'client config option');
  // Legacy clients replace the one GATEWAY_FQDN placeholder: never a list of remotes.
  const config = [
    ...commonLines({ ...o, remotes: undefined }),
    'ca ca.crt',
    'cert clients.crt',
    'key clients.key',
    'tls-crypt ta.key',
  ];
  return LegacyVpnConfig.parse({
    certificates: {
      'ca.crt': block(m.caCertPem),
      'clients.crt': block(m.certPem),
      'clients.key': block(m.keyPem),
      'ta.key': block(m.tlsCryptKey),
    },
    config: `${config.join('\n')}\n`,
  });
}

/** One self-contained `.ovpn` with `<ca>`, `<cert>`, `<key>` and `<tls-crypt>` inline. */
export function renderInlineOvpn(material: ClientMaterial, options: ClientConfigOptions): string {
  const m = parse(ClientMaterial, material, 'client material');
  const o = parse(ClientConfigOptions, options, 'client config option');
  const inline = (tag: string, text: string) => `<${tag}>\n${block(text)}</${tag}>`;
  return `${[
    ...commonLines(o),
    inline('ca', m.caCertPem),
    inline('cert', m.certPem),
    inline('key', m.keyPem),
    inline('tls-crypt', m.tlsCryptKey),
  ].join('\n')}\n`;
}

const REMOTE_TEXT = /^(?<host>[^:\s]+)(?::(?<port>\d{1,5}))?$/;

/**
 * The `remote` entries of a pool's members as a container should use them: live members that are not
 * draining and run a VPN (`vpnRemote` is `host` or `host:port`, the port defaulting to `defaultPort`).
 * A malformed `vpnRemote` is left out, never rendered.
 */
export function remotesOf(
  members: readonly { vpnRemote: string | null; draining: boolean }[],
  defaultPort: number,
): VpnRemote[] {
  const remotes: VpnRemote[] = [];
  for (const member of members) {
    if (member.draining || !member.vpnRemote) continue;
    const m = REMOTE_TEXT.exec(member.vpnRemote);
    const parsed = VpnRemote.safeParse({
      host: m?.groups?.host,
      port: m?.groups?.port === undefined ? defaultPort : Number(m.groups.port),
    });
    if (parsed.success && !remotes.some((r) => r.host === parsed.data.host && r.port === parsed.data.port))
      remotes.push(parsed.data);
  }
  return remotes.slice(0, MAX_REMOTES);
}
