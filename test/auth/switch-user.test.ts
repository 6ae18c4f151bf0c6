/**
 * A signed-in user who may not see a service gets "Nothing here" with a way out: sign in as someone
 * else, in a real Chromium through the platform's login page (LOGIN_URL), loopback only.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDevKey } from '../../gateway/auth/dev-key.ts';
import { type DemoFixture, startDemoFixture } from '../support/demo-fixture.ts';
import type { GatewayProcess } from '../support/gateway-process.ts';
import { type PlatformLogin, startPlatformLogin } from '../support/platform-login.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';

describe('sign in as someone else from the 404 page (Chromium)', () => {
  let login: PlatformLogin;
  let fixture: DemoFixture;
  let gw: GatewayProcess;
  let browser: Browser;
  let gatewayOrigin: string;
  let loginOrigin: string;
  const url = (container: string, path = '/') =>
    `http://uc-${container}.org-${ORG}.localhost:${gw.port}${path}`;

  beforeAll(async () => {
    login = await startPlatformLogin([
      { user_id: 'u-alice', username: 'alice', org: ORG, project: PROJECT },
      { user_id: 'u-carol', username: 'carol', org: ORG, project: 'another-project' },
    ]);
    loginOrigin = login.origin('login.localhost');
    fixture = await startDemoFixture(ORG, PROJECT, {
      DEFAULT_ACCESS: 'project',
      LOGIN_URL: `${loginOrigin}/`,
    });
    ({ gw, browser } = fixture);
    gatewayOrigin = `http://localhost:${gw.port}`;
    const key = await readDevKey(gw.dataDir);
    if (!key) throw new Error('the gateway wrote no development key');
    login.configure(gatewayOrigin, key);
  });
  afterAll(async () => {
    await fixture?.close();
    await login?.close();
  });

  const atLogin = (page: Page) => page.waitForURL((u) => u.origin === loginOrigin, { timeout: 10_000 });

  /** "Nothing here", offered to `username`, on `origin`. */
  async function expectNothingHere(page: Page, origin: string, username: string) {
    await expect.poll(() => page.textContent('h1')).toBe('Nothing here');
    expect(new URL(page.url()).origin).toBe(origin);
    expect(await page.locator('#dg-user').textContent({ timeout: 5000 })).toBe(username);
  }

  it('on the gateway host: a user of another project switches to one who may see the service', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url('demo', '/?switch=1'));
    await atLogin(page);
    await page.click('#as-carol');
    await expectNothingHere(page, gatewayOrigin, 'carol');
    await page.click('#dg-switch-user');
    await atLogin(page);
    await page.click('#as-alice');
    await page.waitForURL(url('demo', '/?switch=1'), { timeout: 10_000 });
    await expect.poll(() => page.textContent('h1')).toBe('Hello from the demo container');
    await context.close();
  });
});
