/** VPN connects the gateway refuses are logged at warn with their reason, limited per reason; never a password. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.ts';
import type { AuthDecision, ConnectRequest } from '../../gateway/vpn/management.ts';
import { logRefusedClients } from '../../gateway/vpn/refused-clients.ts';
import { vpnMetrics } from '../../gateway/vpn/vpn-metrics.ts';

const request = (commonName: string): ConnectRequest => ({
  cid: 1,
  kid: 1,
  reauth: false,
  commonName,
  serialHex: '0a',
  password: 'password-never-logged',
  realAddress: '203.0.113.9:51000',
});

describe('refused VPN clients', () => {
  it('logs a refusal with the container, its real address and the reason; an allowed client says nothing here', async () => {
    const lines: Record<string, unknown>[] = [];
    const decisions: Record<string, AuthDecision> = {
      c1: { allow: false, reason: 'container revoked' },
      c2: { allow: true, address: '172.16.0.2' },
    };
    const logged = logRefusedClients(
      async (r) => decisions[r.commonName] ?? { allow: false, reason: 'certificate superseded or unknown' },
      createLogger('info', (l) => void lines.push(JSON.parse(l))),
    );
    expect(await logged.authorize(request('c1'))).toEqual({ allow: false, reason: 'container revoked' });
    expect(await logged.authorize(request('c2'))).toMatchObject({ allow: true });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'vpn client refused',
        containerId: 'c1',
        realAddress: '203.0.113.9:51000',
        reason: 'container revoked',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('password-never-logged');
    logged.stop();
  });

  it('logs an authorizer that failed as the refusal management.ts makes of it, and limits lines per reason', async () => {
    const lines: Record<string, unknown>[] = [];
    const logged = logRefusedClients(
      async () => {
        throw new Error('store down');
      },
      createLogger('info', (l) => void lines.push(JSON.parse(l))),
      { burst: 2 },
    );
    for (let i = 0; i < 5; i++) await expect(logged.authorize(request('c1'))).rejects.toThrow('store down');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      msg: 'vpn client refused',
      reason: 'gateway could not check this client',
    });
    logged.stop();
    expect(lines.at(-1)).toMatchObject({ msg: 'vpn client refusals suppressed', suppressed: 3 });
  });

  it('exposes the connected clients as a gauge', () => {
    const clients = [{}, {}, {}] as ReturnType<Parameters<typeof vpnMetrics>[0]['clients']>;
    expect(vpnMetrics({ clients: () => clients }).render()).toContain('\ngateway_vpn_clients 3\n');
  });
});
