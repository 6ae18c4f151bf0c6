/**
 * The production sign-in path: a gateway with `LOGIN_URL` (the platform's login page on another origin)
 * sends browsers there, takes the user token that page posts back (and from no other origin), and
 * returns only to its own authorize endpoint, whatever `next` says. In a real Chromium, loopback only.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browserish } from '../support/browserish.ts';
import type { DemoFixture } from '../support/demo-fixture.ts';
import type { GatewayProcess } from '../support/gateway-process.ts';
import { type PlatformFixture, type PlatformLogin, startPlatformFixture } from '../support/platform-login.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';

describe('platform login (LOGIN_URL on another origin)', () => {
  let platform: PlatformFixture;
  let login: PlatformLogin;
  let fixture: DemoFixture;
  let gw: GatewayProcess;
  let browser: Browser;
  let gatewayOrigin: string;
  let loginOrigin: string;
  const serviceUrl = (path = '/') => `http://uc-demo.org-${ORG}.localhost:${gw.port}${path}`;

  beforeAll(async () => {
    platform = await startPlatformFixture(ORG, PROJECT, [
      { user_id: 'u-alice', username: 'alice', org: ORG, project: PROJECT },
    ]);
    ({ login, fixture, loginOrigin, gatewayOrigin } = platform);
    ({ gw, browser } = fixture);
  });
  afterAll(async () => {
    await platform?.close();
  });

  const authorize = (q = 'host=uc-demo.org-org-a.localhost&flow=flowflowflow&state=statestatestatestate') =>
    `/auth/authorize?${q}`;

  it('signs in through the login page on another origin and lands on the service', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(serviceUrl('/?from=platform'));
    await page.waitForURL((u) => u.origin === loginOrigin, { timeout: 10_000 });
    // The login page got the authorize URL as an absolute URL on the gateway.
    const next = new URL(new URL(page.url()).searchParams.get('next') ?? '');
    expect(next.origin).toBe(gatewayOrigin);
    expect(next.pathname).toBe('/auth/authorize');
    await page.click('#as-alice');
    await page.waitForURL(serviceUrl('/?from=platform'), { timeout: 10_000 });
    await expect.poll(() => page.textContent('h1')).toBe('Hello from the demo container');
    const session = (await context.cookies(serviceUrl())).find((c) => c.name === 'dg_session');
    expect(session).toMatchObject({ httpOnly: true, domain: `uc-demo.org-${ORG}.localhost` });
    await context.close();
  });

  it('refuses the same form posted from any other origin (403), and logs it without the token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const next = `${gatewayOrigin}${authorize()}`;
    await page.goto(`${login.origin('evil.localhost')}/?next=${encodeURIComponent(next)}`);
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${gatewayOrigin}/auth/login`),
      page.click('#as-alice'),
    ]);
    expect(answer.status()).toBe(403);
    expect(await answer.json()).toMatchObject({ error: { code: 'GW_ERR_FORBIDDEN' } });
    expect((await context.cookies(gatewayOrigin)).map((c) => c.name)).not.toContain('dg_gw');
    await expect.poll(() => gw.output()).toMatch(/"reason":"csrf_refused"/);
    expect(gw.output()).not.toMatch(/eyJ[\w-]+\.eyJ/); // no JWT in the log
    await context.close();
  });

  it('admits the login origin for POST /auth/login only: not logout, not the development login', async () => {
    const b = new Browserish(gw.port);
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: loginOrigin };
    for (const path of ['/auth/logout', '/auth/dev-login', '/auth/login/']) {
      const res = await b.go(`${gatewayOrigin}${path}`, {
        method: 'POST',
        body: 'user_id=u1&username=a&org=org-a',
        headers: form,
      });
      expect(res.status, path).toBe(403);
    }
    expect(b.cookies('localhost').size).toBe(0);
  });

  it('refuses a foreign post of any content type (hono checks form types only)', async () => {
    const b = new Browserish(gw.port);
    for (const contentType of ['application/json', 'application/octet-stream']) {
      const res = await b.go(`${gatewayOrigin}/auth/logout`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': contentType, origin: 'http://evil.localhost' },
      });
      expect(res.status, contentType).toBe(403);
    }
  });

  it('passes the authorize URL on to the login page as an absolute URL on the gateway', async () => {
    const res = await new Browserish(gw.port).go(
      `${gatewayOrigin}/auth/login?next=${encodeURIComponent(authorize())}`,
    );
    expect(res.status).toBe(302);
    const to = new URL(res.location as string);
    expect(to.origin).toBe(loginOrigin);
    expect(to.searchParams.get('next')).toBe(`${gatewayOrigin}${authorize()}`);
  });

  it.each([
    '@evil.example/',
    '@evil.example/auth/authorize?x',
    '//evil.example/auth/authorize?x',
    '/\\evil.example/auth/authorize?x',
    'https://evil.example/auth/authorize?',
    `http://localhost:1@evil.example${authorize()}`,
    '%2F%2Fevil.example/auth/authorize',
    '/auth/authorize@evil.example/',
    '/elsewhere',
  ])('sends GET /auth/login?next=%s to the login page without it', async (next) => {
    const res = await new Browserish(gw.port).go(
      `${gatewayOrigin}/auth/login?next=${encodeURIComponent(next)}`,
    );
    expect(res.status).toBe(302);
    const to = new URL(res.location as string);
    expect(to.origin).toBe(loginOrigin);
    expect(to.searchParams.get('next')).toBeNull();
    expect(gw.output()).not.toContain('evil.example');
  });

  it('logs each dropped next as redirect_refused, without its value', async () => {
    await new Browserish(gw.port).go(
      `${gatewayOrigin}/auth/login?next=${encodeURIComponent('@evil.example/')}`,
    );
    await expect.poll(() => gw.output()).toMatch(/"reason":"redirect_refused"/);
    expect(gw.output()).not.toContain('evil.example');
  });
});
