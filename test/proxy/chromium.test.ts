/** A real Chromium loads a page through the proxy (loopback only) and uses its WebSocket. */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORG, PROJECT } from '../support/control.ts';
import { type DemoFixture, startDemoFixture } from '../support/demo-fixture.ts';
import type { GatewayProcess } from '../support/gateway-process.ts';

describe('Chromium through the proxy', () => {
  let fixture: DemoFixture;
  let gw: GatewayProcess;
  let browser: Browser;
  beforeAll(async () => {
    fixture = await startDemoFixture(ORG, PROJECT, {});
    ({ gw, browser } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('shows the container page and echoes over its WebSocket', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`http://uc-demo.org-${ORG}.localhost:${gw.port}/`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.textContent('h1')).toBe('Hello from the demo container');
    await expect.poll(() => page.textContent('#ws'), { timeout: 10_000 }).toMatch(/^echoed: ping \d+$/);
  });

  it('shows a readable 404 page for an unknown container', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`http://uc-nobody.org-${ORG}.localhost:${gw.port}/`);
    expect(response?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('Nothing here');
  });
});
