/** Where the agent talks to and how it trusts the gateway: settings plus `DEMIURGE_*` env overrides. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { AgentSettings } from './settings.ts';

/** The gateway's address on the VPN: events go there over plain HTTP inside the tunnel. */
export const DEFAULT_VPN_GATEWAY = '172.16.0.1';

const HttpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });
export const AgentEnv = z.object({
  /** Base URL replacing `https://<gateway_fqdn>` (development: `http://127.0.0.1:8080`). */
  DEMIURGE_GATEWAY_URL: HttpUrl.optional(),
  /** Full URL for events, replacing `http://172.16.0.1/collab/event`. */
  DEMIURGE_EVENTS_URL: HttpUrl.optional(),
  /** A PEM CA certificate, or the path of a file holding one, pinned for the gateway's TLS. */
  DEMIURGE_GATEWAY_CA: z.string().min(1).optional(),
  /** `1` skips TLS verification: development only, and logged loudly. */
  DEMIURGE_INSECURE_TLS: z.enum(['0', '1'], { error: '"1" to skip TLS verification, or "0"' }).optional(),
  /** The tunnel device OpenVPN creates. */
  DEMIURGE_TUN_DEVICE: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,14}$/, 'an interface name')
    .optional(),
});

export interface TlsPolicy {
  /** Pinned CA PEM; undefined means the system CAs. */
  ca?: string;
  insecure: boolean;
}

export interface AgentConfig {
  vpnConfigUrl: string;
  eventsUrl: string;
  /** A small request timed for the watchdog's round-trip figure. */
  pingUrl: string;
  /** GET: a service's OpenID Connect client at the gateway (same channel as events). */
  oidcClientUrl: string;
  token: string;
  projectId: string;
  containerId: string;
  vpnPassword: string;
  tls: TlsPolicy;
  tunDevice: string;
}

export type ConfigResult = { ok: true; config: AgentConfig } | { ok: false; field: string; message: string };

function loadCa(value: string): string {
  return value.includes('-----BEGIN CERTIFICATE-----') ? value : readFileSync(value, 'utf8');
}

/** Builds the agent's configuration; a bad env value names the variable. */
export function agentConfig(settings: AgentSettings, env: Record<string, string | undefined>): ConfigResult {
  const parsed = AgentEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, field: String(issue?.path[0] ?? 'env'), message: issue?.message ?? 'is invalid' };
  }
  const e = parsed.data;
  let ca = settings.gateway_ca;
  if (e.DEMIURGE_GATEWAY_CA) {
    try {
      ca = loadCa(e.DEMIURGE_GATEWAY_CA);
    } catch {
      return { ok: false, field: 'DEMIURGE_GATEWAY_CA', message: 'is neither a PEM nor a readable file' };
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      return { ok: false, field: 'DEMIURGE_GATEWAY_CA', message: 'holds no PEM certificate' };
  }
  const base = (e.DEMIURGE_GATEWAY_URL ?? `https://${settings.gateway_fqdn}`).replace(/\/+$/, '');
  const eventsUrl = e.DEMIURGE_EVENTS_URL ?? `http://${DEFAULT_VPN_GATEWAY}/collab/event`;
  return {
    ok: true,
    config: {
      vpnConfigUrl: `${base}/collab/vpn-config?format=ovpn`,
      eventsUrl,
      pingUrl: new URL('/healthz', eventsUrl).href,
      oidcClientUrl: new URL('/collab/oidc-client', eventsUrl).href,
      token: settings.token,
      projectId: settings.project_id,
      containerId: settings.user_container_id,
      vpnPassword: settings.vpn_secret || settings.token,
      tls: { ca, insecure: e.DEMIURGE_INSECURE_TLS === '1' },
      tunDevice: e.DEMIURGE_TUN_DEVICE ?? 'tun0',
    },
  };
}
