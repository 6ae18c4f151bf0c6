/**
 * In a real Chromium (loopback only): a relying party written with openid-client runs as a container
 * service behind the gateway's proxy; a user of the project opens it, goes through the platform's login
 * (LOGIN_URL on another origin) once, and ends signed in to the app as themselves, with the ID token
 * verified against the gateway's JWKS. A user of another project is refused; revoking the container ends it.
 * On each runtime: the provider's redirects and cookies pass through Deno's and Bun's adapters too.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, RUNTIMES } from '../support/gateway-process.ts';
import { type PlatformFixture, startPlatformFixture } from '../support/platform-login.ts';
import { type RelyingParty, startRelyingParty } from './relying-party.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';

describe.each(RUNTIMES)('OIDC sign-in to an app behind the proxy, in Chromium (%s)', (runtime) => {
  let platform: PlatformFixture;
  let gw: GatewayProcess;
  let browser: Browser;
  let rp: RelyingParty;
  let loginOrigin: string;
  let gatewayOrigin: string;
  const appUrl = (path = '/') => `http://uc-rp1--app.org-${ORG}.localhost:${gw.port}${path}`;
  /** The app's authorization request, sent straight to the provider (PKCE with the RFC 7636 example). */
  const authorizeUrl = (state: string) => {
    const authorize = new URL(`${gatewayOrigin}/oidc/auth`);
    authorize.search = new URLSearchParams({
      client_id: `uc-rp1--app.org-${ORG}.localhost`,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: appUrl('/cb'),
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state,
    }).toString();
    return authorize;
  };

  beforeAll(async () => {
    platform = await startPlatformFixture(
      ORG,
      PROJECT,
      [
        { user_id: 'u-alice', username: 'alice', org: ORG, project: PROJECT },
        { user_id: 'u-bob', username: 'bob', org: ORG, project: 'proj-b' },
      ],
      runtime,
    );
    ({ loginOrigin, gatewayOrigin } = platform);
    ({ gw, browser } = platform.fixture);
    rp = await startRelyingParty();
    const token = await gw.token('rp1', PROJECT, ORG);
    const mapped = await fetch(`${gw.base}/collab/event`, {
      method: 'POST',
      headers: { authorization: token, 'content-type': 'application/json' },
      body: JSON.stringify({
        event: {
          type: 'user-container:map-http-service',
          name: 'app',
          port: rp.port,
          oidc: { redirect_paths: ['/cb'] },
        },
      }),
    });
    expect(mapped.status).toBe(200);
    // Online: one watchdog (liveness lasts LIVENESS_TIMEOUT, 45 s, far beyond this file).
    const beat = await fetch(`${gw.base}/collab/event`, {
      method: 'POST',
      headers: { authorization: token, 'content-type': 'application/json' },
      body: JSON.stringify({ event: { type: 'user-container:watchdog', system: {} } }),
    });
    expect(beat.status).toBe(200);
    const credentials = (await fetch(`${gw.base}/collab/oidc-client?service=app`, {
      headers: { authorization: token },
    }).then((r) => r.json())) as { issuer: string; client_id: string; client_secret: string };
    await rp.configure(credentials.issuer, credentials.client_id, credentials.client_secret);
  });
  afterAll(async () => {
    await rp?.close();
    await platform?.close();
  });

  it('signs a member of the project in to the app as themselves', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appUrl('/'));
    // The proxy's own sign-in sends the browser to the platform's login once.
    await page.waitForURL((u) => u.origin === loginOrigin, { timeout: 10_000 });
    await page.click('#as-alice');
    // Then the app's OpenID Connect round trip reuses the gateway session: no second login.
    await page.waitForURL(appUrl('/'), { timeout: 10_000 });
    await expect.poll(() => page.textContent('#who')).toBe('Signed in as alice');
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}');
    expect(claims).toMatchObject({
      iss: gatewayOrigin,
      sub: 'u-alice',
      preferred_username: 'alice',
      groups: [`org:${ORG}:member`, `project:${PROJECT}:member`],
    });
    expect(rp.callbacks).toMatchObject({ signedIn: 1, errors: [] });
    await context.close();
  });

  it('sends a browser without a gateway session through the platform login and back to the provider', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const authorize = authorizeUrl('state-from-elsewhere');
    const toApp = page.waitForRequest((r) => r.url().startsWith(appUrl('/cb?')), { timeout: 10_000 });
    await page.goto(authorize.href);
    await page.waitForURL((u) => u.origin === loginOrigin, { timeout: 10_000 });
    // The login page was told to come back to the provider's interaction, on the gateway.
    const next = new URL(new URL(page.url()).searchParams.get('next') ?? '');
    expect(next.origin).toBe(gatewayOrigin);
    expect(next.pathname).toMatch(/^\/oidc\/interaction\/[A-Za-z0-9_-]+$/);
    await page.click('#as-alice');
    const callback = new URL((await toApp).url());
    expect(callback.searchParams.get('state')).toBe('state-from-elsewhere');
    expect(callback.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(callback.searchParams.get('iss')).toBe(gatewayOrigin);
    await context.close();
  });

  it('refuses a user of another project: the proxy first, the provider too', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const answer = await page.goto(appUrl('/'));
    expect(answer).not.toBeNull();
    await page.waitForURL((u) => u.origin === loginOrigin, { timeout: 10_000 });
    await page.click('#as-bob');
    await expect.poll(() => page.textContent('h1')).toBe('Nothing here');
    // Straight at the provider with the app's client: the same page, and no code for the app.
    const arrived = rp.callbacks.arrived;
    const authorize = authorizeUrl('state-of-bob');
    const direct = await page.goto(authorize.href);
    expect(direct?.status()).toBe(404);
    await expect.poll(() => page.textContent('h1')).toBe('Nothing here');
    expect(page.url().startsWith(appUrl('/cb'))).toBe(false);
    expect(rp.callbacks.arrived).toBe(arrived);
    await context.close();
  });

  it('ends it when the container is revoked: the tokens stop working, the app is gone', async () => {
    await expect(rp.userinfoOfLast()).resolves.toMatchObject({ sub: 'u-alice' });
    const revoke = await fetch(`http://127.0.0.1:${gw.adminPort}/admin/containers/rp1/revoke`, {
      method: 'POST',
    });
    expect(revoke.status).toBe(200);
    await expect(rp.userinfoOfLast()).rejects.toMatchObject({ status: 401 });
    const context = await browser.newContext();
    const page = await context.newPage();
    const answer = await page.goto(appUrl('/'));
    expect(answer?.status()).toBe(404);
    await context.close();
  });
});
