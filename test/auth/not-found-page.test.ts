/**
 * "Nothing here" for a signed-in user, against the real gateway: one page for "no such service" and "not
 * allowed", with a sign-out offer that depends on the visitor alone; the logout behind it, with a
 * checked `next`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browserish } from '../support/browserish.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { startUpstream, type TestUpstream } from '../support/upstream.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';
const host = (c: string, org = ORG) => `uc-${c}.org-${org}.localhost`;
const ALICE = { id: 'u-alice', name: 'alice', project: PROJECT };

describe('"Nothing here" for a signed-in user', () => {
  let gw: GatewayProcess;
  let up: TestUpstream;
  let gatewayOrigin: string;
  const authorize = (hostname: string) =>
    `/auth/authorize?${new URLSearchParams({ host: hostname, flow: 'flowflowflow', state: 'statestatestatestate' })}`;

  async function register(container: string, access: string, owner?: string) {
    const token = await gw.token(container, PROJECT, ORG, owner);
    const post = (event: string) =>
      fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        body: `{"event":${event}}`,
        headers: { authorization: token },
      });
    const map = `{"type":"user-container:map-http-service","name":"web","port":${up.port},"access":"${access}"}`;
    expect((await post(map)).status).toBe(200);
    expect((await post('{"type":"user-container:watchdog","system":{}}')).status).toBe(200);
  }

  const devLogin = (b: Browserish, user = ALICE, next = '') =>
    b.go(`${gatewayOrigin}/auth/dev-login`, {
      method: 'POST',
      body: new URLSearchParams({
        user_id: user.id,
        username: user.name,
        org: ORG,
        project: user.project,
        next,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayOrigin },
    });

  /** The page with the hostname made neutral, to compare two pages. */
  const neutral = (body: string, hostname: string) => body.replaceAll(hostname, 'HOST');

  beforeAll(async () => {
    up = await startUpstream();
    gw = await startGateway('node', { DEFAULT_ACCESS: 'project' });
    gatewayOrigin = `http://localhost:${gw.port}`;
    await register('other', 'owner', 'u-zed');
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });

  describe('on the gateway host (authorize)', () => {
    it('gives one page for an unknown service and a refused one, offering to sign in as someone else', async () => {
      const b = new Browserish(gw.port);
      expect((await devLogin(b)).status).toBe(303);
      const missing = await b.go(`${gatewayOrigin}${authorize(host('nothing'))}`);
      const refused = await b.go(`${gatewayOrigin}${authorize(host('other'))}`);
      expect([missing.status, refused.status]).toEqual([404, 404]);
      expect(neutral(refused.body, host('other'))).toBe(neutral(missing.body, host('nothing')));
      expect(refused.headers['cache-control']).toBe('no-store');
      expect(refused.body).toContain('Signed in as <strong id="dg-user">alice</strong>');
      expect(refused.body).toContain('<form method="post" action="/auth/logout">');
      expect(refused.body).toContain(
        `<input type="hidden" name="next" value="${authorize(host('other')).replaceAll('&', '&amp;')}">`,
      );
      expect(gw.output()).toMatch(/"reason":"access_denied","hostname":"uc-other\.org-org-a\.localhost"/);
    });

    it('escapes the username', async () => {
      const b = new Browserish(gw.port);
      await devLogin(b, { ...ALICE, name: '<img src=x onerror=alert(1)>&"' });
      const page = await b.go(`${gatewayOrigin}${authorize(host('other'))}`);
      expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;');
      expect(page.body).not.toContain('<img');
    });

    it('logs out and returns to the authorize URL, which asks for the login again', async () => {
      const b = new Browserish(gw.port);
      await devLogin(b);
      const out = await b.go(`${gatewayOrigin}/auth/logout`, {
        method: 'POST',
        body: new URLSearchParams({ next: authorize(host('other')) }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayOrigin },
      });
      expect(out.status).toBe(303);
      expect(out.location).toBe(`${gatewayOrigin}${authorize(host('other'))}`);
      expect(b.cookies('localhost').has('dg_gw')).toBe(false);
      const again = await b.go(out.location as string);
      expect(again.status).toBe(302);
      expect(new URL(again.location as string).pathname).toBe('/auth/login');
    });

    it.each([
      '@evil.example/',
      '//evil.example/auth/authorize?x',
      '/\\evil.example',
      'https://evil.example/',
    ])('logs out but drops next=%s', async (next) => {
      const b = new Browserish(gw.port);
      await devLogin(b);
      const out = await b.go(`${gatewayOrigin}/auth/logout`, {
        method: 'POST',
        body: new URLSearchParams({ next }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gatewayOrigin },
      });
      expect(out.status).toBe(303);
      expect(out.location).toBe(`${gatewayOrigin}/`);
      expect(b.cookies('localhost').has('dg_gw')).toBe(false);
    });
  });
});
