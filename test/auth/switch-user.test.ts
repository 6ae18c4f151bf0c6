/**
 * A signed-in user who may not see a service gets "Nothing here" with a way out: sign in as someone
 * else. On the gateway host (the authorize endpoint refuses) and on the service host (the session's user
 * lost access), in a real Chromium through the platform's login page (LOGIN_URL), loopback only.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoFixture } from '../support/demo-fixture.ts';
import type { GatewayProcess } from '../support/gateway-process.ts';
import { type PlatformFixture, startPlatformFixture } from '../support/platform-login.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';

describe('sign in as someone else from the 404 page (Chromium)', () => {
  let platform: PlatformFixture;
  let fixture: DemoFixture;
  let gw: GatewayProcess;
  let browser: Browser;
  let gatewayOrigin: string;
  let loginOrigin: string;
  const url = (container: string, path = '/') =>
    `http://uc-${container}.org-${ORG}.localhost:${gw.port}${path}`;

  beforeAll(async () => {
    platform = await startPlatformFixture(ORG, PROJECT, [
      { user_id: 'u-alice', username: 'alice', org: ORG, project: PROJECT },
      { user_id: 'u-carol', username: 'carol', org: ORG, project: 'another-project' },
      { user_id: 'u-bob', username: 'bob', org: 'org-b', project: 'proj-b' },
    ]);
    ({ fixture, loginOrigin, gatewayOrigin } = platform);
    ({ gw, browser } = fixture);
  });
  afterAll(async () => {
    await platform?.close();
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

  it('on the service host: a user who lost access signs out there, then in as the owner', async () => {
    // The demo page again, owned by bob and at first open to its project.
    const token = await gw.token('owned', PROJECT, ORG, 'u-bob');
    const post = (event: string) =>
      fetch(`${gw.base}/collab/event`, {
        method: 'POST',
        headers: { authorization: token, 'content-type': 'application/json' },
        body: `{"event":${event}}`,
      }).then((r) => r.status);
    const map = (access: string) =>
      post(
        `{"type":"user-container:map-http-service","name":"web","port":${fixture.container.port},"access":"${access}"}`,
      );
    expect(await map('project')).toBe(200);
    expect(await post('{"type":"user-container:watchdog","system":{}}')).toBe(200);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url('owned', '/page'));
    await atLogin(page);
    await page.click('#as-alice');
    await page.waitForURL(url('owned', '/page'), { timeout: 10_000 });
    await expect.poll(() => page.textContent('h1')).toBe('Hello from the demo container');

    expect(await map('owner')).toBe(200); // now bob's alone
    await page.reload();
    await expectNothingHere(page, new URL(url('owned')).origin, 'alice');
    await page.click('#dg-switch-user');
    // The service host ended its session and asked the gateway again: alice still may not see it.
    await expectNothingHere(page, gatewayOrigin, 'alice');
    await page.click('#dg-switch-user');
    await atLogin(page);
    await page.click('#as-bob');
    await page.waitForURL(url('owned', '/page'), { timeout: 10_000 });
    await expect.poll(() => page.textContent('h1')).toBe('Hello from the demo container');
    expect(gw.output()).toMatch(/"reason":"access_denied"/);
    await context.close();
  });
});
