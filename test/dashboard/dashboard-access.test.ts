/**
 * Who reaches the dashboard (in-process, no sockets): without ADMIN_TOKEN only loopback Host names
 * (a rebound DNS name gets nothing); with it, a sign-in form that sets an HttpOnly SameSite=Strict
 * session cookie (never the token); every POST needs the page's CSRF token and the dashboard's origin.
 */
import { describe, expect, it } from 'vitest';
import { createAdminApp } from '../../gateway/control/admin.ts';
import { createAdminEvents } from '../../gateway/control/admin-events.ts';
import { storeInventory } from '../../gateway/control/inventory.ts';
import { createRevoker } from '../../gateway/control/revocation.ts';
import { silentLogger } from '../../gateway/log.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { LIVENESS, reg, svc, T0 } from '../store/fixtures.ts';
import { recordingSecurityLog } from '../support/control.ts';

const TOKEN = 'dashboard-token-0123456789abcdef';
const HOST = '127.0.0.1:9090';

async function app(adminToken?: string) {
  const store = new MemoryStore();
  await store.mapService(reg('c1'), svc('c1', 'web', 8000), T0);
  const revoke = createRevoker({
    store,
    closeWebSockets: () => {},
    security: recordingSecurityLog(),
    log: silentLogger,
  });
  const admin = createAdminApp({
    log: silentLogger,
    readiness: [],
    metrics: () => '',
    inventory: storeInventory(store, LIVENESS),
    revoke,
    adminToken,
    dashboard: {
      store,
      livenessTimeoutMs: LIVENESS,
      revoke,
      events: createAdminEvents({ subscribe: (l) => store.subscribe(l) }),
      gateway: () => ({ gatewayId: 'gw', version: '0', startedAt: T0, store: 'up', storeKind: 'memory' }),
      adminToken,
    },
  });
  const request = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    admin.request(`http://${HOST}${path}`, { ...init, headers: { host: HOST, ...init.headers } });
  const csrfOf = async (path: string, headers: Record<string, string> = {}) =>
    /name="csrf" value="([^"]+)"/.exec(await (await request(path, { headers })).text())?.[1] as string;
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    request(path, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  return { store, request, csrfOf, post };
}

describe('dashboard access without ADMIN_TOKEN (loopback listener)', () => {
  it('answers loopback Host names only', async () => {
    const { request } = await app();
    for (const host of ['127.0.0.1:9090', 'localhost:9090', '[::1]:9090', 'localhost'])
      expect((await request('/dashboard', { headers: { host } })).status, host).toBe(200);
    for (const host of ['evil.test:9090', 'localhost.evil.test', '127.0.0.1.nip.io:9090'])
      expect((await request('/dashboard', { headers: { host } })).status, host).toBe(403);
    expect((await request('/')).headers.get('location')).toBe('/dashboard');
  });

  it('takes a revoke only with the page CSRF token from its own origin', async () => {
    const { store, csrfOf, post } = await app();
    const csrf = await csrfOf('/dashboard/containers/c1/revoke');
    const path = '/dashboard/containers/c1/revoke';
    expect((await post(path, {})).status).toBe(403);
    expect((await post(path, { csrf: 'forged' })).status).toBe(403);
    expect((await post(path, { csrf }, { origin: 'http://evil.test' })).status).toBe(403);
    expect((await post(path, { csrf }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await store.isRevoked('c1')).toBe(false);
    const res = await post(path, { csrf }, { origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' });
    expect(res.status).toBe(200);
    expect(await store.isRevoked('c1')).toBe(true);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    // An id the gateway has no trace of: a page that says so, nothing revoked.
    const unknown = await post('/dashboard/containers/nobody/revoke', { csrf });
    expect(unknown.status).toBe(404);
    expect(await store.isRevoked('nobody')).toBe(false);
  });
});

describe('dashboard access with ADMIN_TOKEN', () => {
  it('sends a browser to a sign-in form, and a session cookie that is not the token', async () => {
    const { request, csrfOf, post } = await app(TOKEN);
    const first = await request('/dashboard');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/dashboard/login');
    expect((await request('/dashboard/events')).status).toBe(401);
    expect((await request('/dashboard/containers')).status).toBe(303);

    const csrf = await csrfOf('/dashboard/login');
    const wrong = await post('/dashboard/login', { csrf, token: 'not-it' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect((await post('/dashboard/login', { csrf: 'x', token: TOKEN })).status).toBe(403);

    const ok = await post('/dashboard/login', { csrf, token: TOKEN });
    expect(ok.status).toBe(303);
    const setCookie = ok.headers.get('set-cookie') as string;
    expect(setCookie).toMatch(/^dg_admin=\d+\.[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0] as string;
    const page = await request('/dashboard', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(TOKEN);
    // The bearer token alone does not open the dashboard, nor does a cookie with a forged signature.
    expect((await request('/dashboard', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(303);
    const forged = `dg_admin=99999999999999.${'A'.repeat(43)}`;
    expect((await request('/dashboard', { headers: { cookie: forged } })).status).toBe(303);
    // The Host rule is for the tokenless loopback listener only: a signed-in browser may use any name.
    expect((await request('/dashboard', { headers: { cookie, host: 'admin.internal:9090' } })).status).toBe(
      200,
    );
  });
});
