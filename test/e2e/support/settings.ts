/** The base64 SETTINGS value a platform passes to a container (docs/legacy-protocol.md), for e2e containers. */
export interface SettingsSpec {
  containerId: string;
  projectId: string;
  token: string;
  gatewayFqdn: string;
  vpnSecret?: string;
}

export function encodeSettings(spec: SettingsSpec): string {
  const fields: Record<string, string> = {
    user_id: '6b1f2c1e-0000-4000-8000-00000000e2e0',
    frontend_fqdn: 'app.e2e.test',
    ganymede_fqdn: 'api.e2e.test',
    gateway_fqdn: spec.gatewayFqdn,
    token: spec.token,
    project_id: spec.projectId,
    user_container_id: spec.containerId,
  };
  if (spec.vpnSecret) fields.vpn_secret = spec.vpnSecret;
  return Buffer.from(JSON.stringify(fields)).toString('base64');
}
