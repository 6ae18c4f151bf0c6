/**
 * The production sign-in path: a gateway with `LOGIN_URL` (the platform's login page on another origin)
 * sends browsers there, takes the user token the page posts back, and returns only to its own authorize
 * endpoint, whatever `next` says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDevKey } from '../../gateway/auth/dev-key.ts';
import { Browserish } from '../support/browserish.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { type PlatformLogin, startPlatformLogin } from '../support/platform-login.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';

describe('platform login (LOGIN_URL on another origin)', () => {
  let login: PlatformLogin;
  let gw: GatewayProcess;
  let gatewayOrigin: string;
  let loginOrigin: string;

  beforeAll(async () => {
    login = await startPlatformLogin([{ user_id: 'u-alice', username: 'alice', org: ORG, project: PROJECT }]);
    loginOrigin = login.origin('login.localhost');
    gw = await startGateway('node', { DEFAULT_ACCESS: 'project', LOGIN_URL: `${loginOrigin}/` });
    gatewayOrigin = `http://localhost:${gw.port}`;
    const key = await readDevKey(gw.dataDir);
    if (!key) throw new Error('the gateway wrote no development key');
    login.configure(gatewayOrigin, key);
  });
  afterAll(async () => {
    await gw?.stop();
    await login?.close();
  });

  const authorize = (q = 'host=uc-demo.org-org-a.localhost&flow=flowflowflow&state=statestatestatestate') =>
    `/auth/authorize?${q}`;

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
