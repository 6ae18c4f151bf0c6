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

export const ClientConfigOptions = z.object({
  proto: z.enum(['udp', 'tcp']),
  port: ConfigPort,
  serverCommonName: ConfigCommonName,
  /** The host in `remote`; absent: the GATEWAY_FQDN placeholder. */
  remoteHost: ConfigHost.optional(),
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

function commonLines(o: z.infer<typeof ClientConfigOptions>): string[] {
  return [
    'client',
    'dev tun',
    `proto ${o.proto === 'tcp' ? 'tcp-client' : 'udp'}`,
    `remote ${o.remoteHost ?? GATEWAY_FQDN_PLACEHOLDER} ${o.port}`,
    'nobind',
    'connect-retry 1 1',
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
  const config = [...commonLines(o), 'ca ca.crt', 'cert clients.crt', 'key clients.key', 'tls-crypt ta.key'];
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
