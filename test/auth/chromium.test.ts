/**
 * Sign-in in a real Chromium (loopback only): a protected service sends the browser through the
 * development login and back to the page, whose WebSocket then works with the session; a session that
 * expired signs in again.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoFixture, startDemoFixture } from '../support/demo-fixture.ts';
import type { GatewayProcess } from '../support/gateway-process.ts';

const ORG = 'org-a';
const PROJECT = 'proj-a';

describe('sign-in in Chromium', () => {
  let fixture: DemoFixture;
  let gw: GatewayProcess;
  let browser: Browser;
  const serviceUrl = (path = '/') => `http://uc-demo.org-${ORG}.localhost:${gw.port}${path}`;

  beforeAll(async () => {
    fixture = await startDemoFixture(ORG, PROJECT, { DEFAULT_ACCESS: 'project', SESSION_TTL: '3s' });
    ({ gw, browser } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  async function login(page: Page, org = ORG, project = PROJECT) {
    await page.waitForURL(/\/auth\/login\?/);
    await page.fill('input[name=org]', org);
    await page.fill('input[name=project]', project);
    await page.click('button[type=submit]');
  }

  it('signs in and comes back to the original URL, WebSocket included', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(serviceUrl('/?from=test'));
    await login(page);
    await page.waitForURL(serviceUrl('/?from=test'));
    await expect.poll(() => page.textContent('h1')).toBe('Hello from the demo container');
    await expect.poll(() => page.textContent('#ws'), { timeout: 10_000 }).toMatch(/^echoed: ping \d+$/);
    const cookies = await context.cookies(serviceUrl());
    const session = cookies.find((c) => c.name === 'dg_session');
    expect(session).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
      domain: `uc-demo.org-${ORG}.localhost`,
    });
    await context.close();
  });

  it('lets two tabs sign in at once', async () => {
    const context = await browser.newContext();
    const [a, b] = [await context.newPage(), await context.newPage()];
    await Promise.all([a.goto(serviceUrl('/?tab=a')), b.goto(serviceUrl('/?tab=b'))]);
    await login(a);
    await a.waitForURL(serviceUrl('/?tab=a'));
    // Tab b's flow is still open at the login page: the gateway session now exists, so its form completes too.
    await login(b);
    await b.waitForURL(serviceUrl('/?tab=b'));
    for (const page of [a, b])
      await expect.poll(() => page.textContent('h1')).toBe('Hello from the demo container');
    await context.close();
  });

  it('shows a user of another project a 404 page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(serviceUrl());
    await login(page, ORG, 'another-project');
    await expect.poll(() => page.textContent('h1')).toBe('Nothing here');
    await context.close();
  });

  it('closes an open WebSocket when its session ends', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(serviceUrl());
    await login(page);
    await page.waitForURL(serviceUrl());
    // A WebSocket opened with the session; SESSION_TTL is 3 s here, so the gateway ends it soon.
    const closeCode = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/echo`);
          ws.onclose = (event) => resolve(event.code);
          setTimeout(() => resolve(-1), 10_000);
        }),
    );
    expect(closeCode).toBe(1001);
    await context.close();
  });

  it('signs in again once the session expired', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(serviceUrl());
    await login(page);
    await page.waitForURL(serviceUrl());
    await new Promise((r) => setTimeout(r, 3500)); // SESSION_TTL is 3 s here
    await page.goto(serviceUrl('/again'));
    await page.waitForURL(/\/auth\/(authorize|login)|\/again/);
    // The gateway session expired too, so the browser is back at the login page.
    expect(page.url()).toMatch(/\/auth\/login\?/);
    await context.close();
  });
});
