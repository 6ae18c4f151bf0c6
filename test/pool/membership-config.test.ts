/** The pool's settings (issue 16): a stable GATEWAY_ID, BACKBONE_ADDRESS, VPN_REMOTE, heartbeat and death. */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultGatewayId, loadConfig } from '../../gateway/config.ts';

const refusal = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

describe('pool configuration', () => {
  it('names the gateway by its host name: a restart (another process) is the same gateway', () => {
    expect(loadConfig({}).GATEWAY_ID).toBe(defaultGatewayId(hostname()));
    expect(loadConfig({}).GATEWAY_ID).not.toContain(String(process.pid));
    expect(defaultGatewayId('gw 1.example/x')).toBe('gw-1.example-x');
    expect(defaultGatewayId('')).toBe('gateway');
    expect(defaultGatewayId('a'.repeat(80))).toHaveLength(64);
    expect(loadConfig({ GATEWAY_ID: 'gw-a' }).GATEWAY_ID).toBe('gw-a');
  });

  it('defaults VPN_REMOTE to the public host and VPN_PORT, heartbeats to 2s and death to three beats', () => {
    const c = loadConfig({ DOMAIN: 'gw.example.com', VPN_PORT: '1195' });
    expect(c.VPN_REMOTE).toBe('gateway.gw.example.com:1195');
    expect(loadConfig({}).VPN_REMOTE).toBe('localhost:1194');
    expect(loadConfig({ GATEWAY_FQDN: 'edge.example.com:8443' }).VPN_REMOTE).toBe('edge.example.com:1194');
    expect(c.BACKBONE_ADDRESS).toBeUndefined();
    expect(c.POOL_HEARTBEAT).toBe(2_000);
    expect(c.POOL_DEAD_AFTER).toBe(6_000);
    expect(loadConfig({ POOL_HEARTBEAT: '500ms' }).POOL_DEAD_AFTER).toBe(1_500);
    const set = loadConfig({ BACKBONE_ADDRESS: '198.51.100.2', VPN_REMOTE: 'vpn-a.example.com:443' });
    expect(set).toMatchObject({ BACKBONE_ADDRESS: '198.51.100.2', VPN_REMOTE: 'vpn-a.example.com:443' });
  });

  it('refuses bad values with one line naming the variable', () => {
    expect(refusal({ BACKBONE_ADDRESS: 'gw-b' })).toMatch(
      /^config: BACKBONE_ADDRESS must be an IPv4 address/,
    );
    expect(refusal({ VPN_REMOTE: 'a b' })).toMatch(/^config: VPN_REMOTE must be a DNS name/);
    expect(refusal({ POOL_HEARTBEAT: 'soon' })).toMatch(/^config: POOL_HEARTBEAT must be a duration/);
    expect(refusal({ POOL_HEARTBEAT: '2s', POOL_DEAD_AFTER: '3s' })).toMatch(
      /^config: POOL_DEAD_AFTER must be at least twice POOL_HEARTBEAT/,
    );
    expect(refusal({ POOL_HEARTBEAT: '2s', POOL_DEAD_AFTER: '4s' })).toBe('accepted');
  });
});
