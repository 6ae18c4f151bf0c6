/**
 * ADMIN_TOKEN and ADMIN_HOST in-process: `/admin/*` takes the bearer token (constant-time compare, 401 in
 * the collab error shape, never logged), `/metrics` and the health endpoints stay open, and a gateway
 * whose admin listener is not on loopback refuses to start without a token.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.ts';
import { createAdminApp } from '../../gateway/control/admin.ts';
import { createLogger } from '../../gateway/log.ts';

const TOKEN = 'admin-token-0123456789abcdef';

function adminApp(adminToken?: string) {
  const lines: string[] = [];
  const app = createAdminApp({
    log: createLogger('debug', (l) => void lines.push(l)),
    readiness: [{ name: 'store', check: async () => {} }],
    metrics: () => '# TYPE gateway_up gauge\ngateway_up 1\n',
    inventory: { containers: async () => [], routes: async () => [], health: async () => [] },
    revoke: async (containerId) => ({
      containerId,
      alreadyRevoked: false,
      routesRemoved: true,
      vpnClientsKilled: 0,
    }),
    adminToken,
  });
  return { app, lines };
}

const ADMIN_PATHS: [string, string][] = [
  ['GET', '/admin/containers'],
  ['GET', '/admin/routes'],
  ['GET', '/admin/health'],
  ['GET', '/admin/vpn/clients'],
  ['GET', '/admin/gateways'],
  ['POST', '/admin/containers/c1/revoke'],
];

describe('admin API access (ADMIN_TOKEN)', () => {
  it('refuses /admin/* without the token, or with another one, with 401 in the error shape', async () => {
    const { app, lines } = adminApp(TOKEN);
    for (const [method, path] of ADMIN_PATHS)
      for (const authorization of [
        undefined,
        'Bearer wrong-token',
        `Basic ${TOKEN}`,
        TOKEN,
        `Bearer ${TOKEN}x`,
      ]) {
        const res = await app.request(path, { method, headers: authorization ? { authorization } : {} });
        expect(res.status, `${method} ${path} ${authorization}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gateway admin"');
        expect(await res.json()).toEqual({
          error: { code: 'GW_ERR_UNAUTHORIZED', message: expect.any(String) },
        });
      }
    // A path spelled with an escape is the same route, and gets the same answer.
    expect((await app.request('/%61dmin/containers')).status).toBe(401);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('serves /admin/* with the token', async () => {
    const { app } = adminApp(TOKEN);
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await app.request('/admin/containers', { headers: auth })).status).toBe(200);
    expect(
      (await app.request('/admin/containers', { headers: { authorization: `bearer ${TOKEN}` } })).status,
    ).toBe(200);
    const revoked = await app.request('/admin/containers/c1/revoke', { method: 'POST', headers: auth });
    expect(await revoked.json()).toMatchObject({ containerId: 'c1', routesRemoved: true });
  });

  it('keeps /metrics, /healthz and /readyz open', async () => {
    const { app } = adminApp(TOKEN);
    for (const path of ['/metrics', '/healthz', '/readyz'])
      expect((await app.request(path)).status, path).toBe(200);
  });

  it('serves /admin/* without ADMIN_TOKEN to loopback host names (the listener is loopback then)', async () => {
    const { app } = adminApp(undefined);
    expect((await app.request('/admin/containers')).status).toBe(200);
    for (const host of ['127.0.0.1:9090', 'localhost:9090', '[::1]:9090', 'localhost']) {
      const res = await app.request('/admin/containers', { headers: { host } });
      expect(res.status, host).toBe(200);
    }
    // gatewayctl and curl: no Origin, no Sec-Fetch-Site; an operator typing the URL: Sec-Fetch-Site none.
    const revoked = await app.request('/admin/containers/c1/revoke', {
      method: 'POST',
      headers: { host: '127.0.0.1:9090' },
    });
    expect(revoked.status).toBe(200);
    const typed = await app.request('/admin/routes', {
      headers: { host: '127.0.0.1:9090', 'sec-fetch-site': 'none' },
    });
    expect(typed.status).toBe(200);
  });

  it('refuses, without ADMIN_TOKEN, a rebound DNS name and pages of other sites with 403, changing nothing', async () => {
    let revocations = 0;
    const app = createAdminApp({
      log: createLogger('error', () => {}),
      readiness: [],
      metrics: () => '',
      inventory: { containers: async () => [], routes: async () => [], health: async () => [] },
      revoke: async (containerId) => {
        revocations++;
        return { containerId, alreadyRevoked: false, routesRemoved: true, vpnClientsKilled: 0 };
      },
    });
    const refused: [string, Record<string, string>][] = [
      ['GET', { host: 'attacker.example:9090' }], // DNS rebinding: the page's own name now points at 127.0.0.1
      ['GET', { host: '127.0.0.1.nip.io:9090' }],
      ['POST', { host: 'rebound.example' }],
      ['POST', { host: '127.0.0.1:9090', origin: 'https://attacker.example' }], // a form posted cross-site
      ['POST', { host: '127.0.0.1:9090', origin: 'null' }],
      ['POST', { host: '127.0.0.1:9090', 'sec-fetch-site': 'cross-site' }],
      ['GET', { host: '127.0.0.1:9090', 'sec-fetch-site': 'same-site', origin: 'http://localhost:3000' }],
    ];
    for (const [method, headers] of refused) {
      const path = method === 'POST' ? '/admin/containers/c1/revoke' : '/admin/containers';
      const res = await app.request(path, { method, headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await res.json()).toEqual({ error: { code: 'GW_ERR_FORBIDDEN', message: expect.any(String) } });
    }
    expect(revocations).toBe(0);
    // Health, readiness and metrics stay open to any Host (probes and scrapers).
    expect((await app.request('/healthz', { headers: { host: 'gateway-0.internal:9090' } })).status).toBe(
      200,
    );
  });
});

describe('ADMIN_HOST', () => {
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return 'accepted';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('binds loopback by default and accepts other loopback addresses without a token', () => {
    expect(loadConfig({}).ADMIN_HOST).toBe('127.0.0.1');
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(refusal({ ADMIN_HOST: host }), host).toBe('accepted');
  });

  it('refuses another address without ADMIN_TOKEN, in one line that never shows a token', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'admin.internal', '127.0.0.1.nip.io']) {
      const message = refusal({ ADMIN_HOST: host });
      expect(message, host).toContain(
        'config: ADMIN_TOKEN must be set when ADMIN_HOST is not a loopback address',
      );
      expect(message).not.toContain('\n');
    }
    expect(refusal({ ADMIN_HOST: '0.0.0.0', ADMIN_TOKEN: TOKEN })).toBe('accepted');
    const short = refusal({ ADMIN_HOST: '0.0.0.0', ADMIN_TOKEN: 'short-secret' });
    expect(short).toContain('config: ADMIN_TOKEN must be at least 16 characters');
    expect(short).not.toContain('short-secret');
  });
});
